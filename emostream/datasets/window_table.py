"""A subject's feature windows held as matrices, each rebuilt as a `FeatureVector` when read.

`evaluate` and `train` hold every subject's windows for the whole run, and send them to each
worker. As `FeatureVector`s a window is seven small dicts (about 2.9 kB and 53 objects);
here it is a row of float64 matrices with presence masks, the layout of the feature cache.
Reading a window builds it anew, equal to the one it was made from.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import overload

import numpy as np

from emostream.features.base import FeatureVector

#: FeatureVector fields of str -> float, held as matrices
NUMERIC = ("values", "quality", "coverage", "staleness")


@dataclass(frozen=True, eq=False, slots=True)
class WindowTable(Sequence[FeatureVector]):
    #: (n, 2): each window's t_start and t_end
    t: np.ndarray
    #: per NUMERIC field: its names, its (n, names) matrix and the mask of values present
    names: dict[str, tuple[str, ...]]
    matrices: dict[str, np.ndarray]
    present: dict[str, np.ndarray]
    #: the windows whose flags, reasons or markers are not empty, by index
    flags: dict[int, dict[str, tuple[str, ...]]]
    reasons: dict[int, dict[str, str]]
    markers: dict[int, list[tuple[float, str]]]

    @classmethod
    def from_vectors(cls, windows: Iterable[FeatureVector]) -> WindowTable:
        windows = list(windows)
        names: dict[str, tuple[str, ...]] = {}
        matrices: dict[str, np.ndarray] = {}
        present: dict[str, np.ndarray] = {}
        for field in NUMERIC:
            rows = [getattr(w, field) for w in windows]
            columns = tuple(dict.fromkeys(k for row in rows for k in row))
            index = {name: j for j, name in enumerate(columns)}
            matrix = np.full((len(windows), len(columns)), np.nan)
            mask = np.zeros(matrix.shape, dtype=bool)
            for i, row in enumerate(rows):
                for name, value in row.items():
                    matrix[i, index[name]] = value
                    mask[i, index[name]] = True
            names[field], matrices[field], present[field] = columns, matrix, mask
        return cls(
            window_times(windows),
            names,
            matrices,
            present,
            {i: dict(w.flags) for i, w in enumerate(windows) if w.flags},
            {i: dict(w.reasons) for i, w in enumerate(windows) if w.reasons},
            {i: list(w.markers) for i, w in enumerate(windows) if w.markers},
        )

    def __post_init__(self) -> None:
        n = len(self.t)
        if self.t.shape != (n, 2):
            raise ValueError("the window times are not an (n, 2) matrix")
        for field in NUMERIC:
            shape = (n, len(self.names[field]))
            if self.matrices[field].shape != shape or self.present[field].shape != shape:
                raise ValueError(f"'{field}' has the wrong shape")
        for part in (self.flags, self.reasons, self.markers):
            if any(not 0 <= i < n for i in part):
                raise ValueError("a window index is out of range")

    def __len__(self) -> int:
        return len(self.t)

    @overload
    def __getitem__(self, index: int) -> FeatureVector: ...
    @overload
    def __getitem__(self, index: slice) -> list[FeatureVector]: ...
    def __getitem__(self, index: int | slice) -> FeatureVector | list[FeatureVector]:
        if isinstance(index, slice):
            return [self._window(i) for i in range(*index.indices(len(self)))]
        if not -len(self) <= index < len(self):
            raise IndexError(f"window {index} of {len(self)}")
        return self._window(index % len(self))

    def __iter__(self) -> Iterator[FeatureVector]:
        # whole matrices to lists at once: a fraction of the cost of row by row
        rows = {f: (self.matrices[f].tolist(), self.present[f].tolist()) for f in NUMERIC}
        for i, (t_start, t_end) in enumerate(self.t.tolist()):
            yield self._build(i, t_start, t_end, {f: (v[i], p[i]) for f, (v, p) in rows.items()})

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or len(other) != len(self):
            return False
        return all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]  # equal to lists, so unhashable like them

    def _window(self, i: int) -> FeatureVector:
        t_start, t_end = self.t[i].tolist()
        rows = {f: (self.matrices[f][i].tolist(), self.present[f][i].tolist()) for f in NUMERIC}
        return self._build(i, t_start, t_end, rows)

    def _build(
        self,
        i: int,
        t_start: float,
        t_end: float,
        rows: dict[str, tuple[list[float], list[bool]]],
    ) -> FeatureVector:
        """Window `i` from its times and each numeric field's (values, present) row."""
        numeric = {
            f: {n: v for n, v, here in zip(self.names[f], values, mask, strict=True) if here}
            for f, (values, mask) in rows.items()
        }
        return FeatureVector(
            t_start,
            t_end,
            values=numeric["values"],
            quality=numeric["quality"],
            coverage=numeric["coverage"],
            flags=dict(self.flags.get(i, {})),
            reasons=dict(self.reasons.get(i, {})),
            markers=list(self.markers.get(i, [])),
            staleness=numeric["staleness"],
        )


def as_table(windows: Sequence[FeatureVector]) -> WindowTable:
    """`windows` as a table (itself when it is one)."""
    return windows if isinstance(windows, WindowTable) else WindowTable.from_vectors(windows)


def window_times(windows: Sequence[FeatureVector]) -> np.ndarray:
    """(n, 2): each window's t_start and t_end (a table's without building its windows)."""
    if isinstance(windows, WindowTable):
        return windows.t
    return np.array([(w.t_start, w.t_end) for w in windows], dtype=np.float64).reshape(-1, 2)
