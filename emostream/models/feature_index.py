"""The input features a learner has seen, as positions in its weight vectors."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np


class FeatureIndex:
    """Feature names in the order first seen (the new names of one window sorted), and the
    vector of a window's values over them (an absent feature is 0: the wearer's baseline)."""

    def __init__(self, names: Sequence[str] = ()):
        self.names: list[str] = list(names)
        self._position = {name: i for i, name in enumerate(self.names)}
        if len(self._position) != len(self.names):
            raise ValueError("feature names repeat")

    def __len__(self) -> int:
        return len(self.names)

    def add(self, x: Mapping[str, float]) -> list[str]:
        """Append the names of `x` not seen before; return them."""
        new = sorted(name for name in x if name not in self._position)
        for name in new:
            self._position[name] = len(self.names)
            self.names.append(name)
        return new

    def vector(self, x: Mapping[str, float]) -> np.ndarray:
        """`x` over the known features; names not seen before are ignored."""
        v = np.zeros(len(self.names))
        for name, value in x.items():
            j = self._position.get(name)
            if j is not None:
                v[j] = value
        return v
