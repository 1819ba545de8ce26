"""LSL outlet of the feature vectors: one sample per window, NaN for an absent feature."""

from __future__ import annotations

from typing import Any

import numpy as np

from emostream.core.chunk import Chunk
from emostream.core.spec import IRREGULAR_RATE, StreamSpec
from emostream.features.base import FeatureVector
from emostream.sinks.base import Sink
from emostream.sinks.lsl import StreamOutlets

#: declare the outlet at the latest after this many windows, even if some were incomplete
DECLARE_AFTER_WINDOWS = 10
_UNITS = {"bpm", "ms", "ms2", "pct", "us", "c", "g", "hz", "db", "s", "uv", "uv2"}


def unit_of(column: str) -> str:
    """Unit from a `<signal>_<feature>_<unit>` column name (`hr_bpm` → bpm)."""
    tail = column.rsplit("_", 1)[-1]
    return tail if tail in _UNITS else ""


class FeatureOutletSink(Sink):
    """Publishes every window's features at the window's end time.

    LSL needs a fixed channel set: the outlet is declared at the first window in which every
    extractor produced its features (or after `DECLARE_AFTER_WINDOWS` windows), with the
    columns seen so far. An absent feature is sent as NaN here, and only here: the model
    never sees NaN. The stream is irregular (one sample per window).
    """

    def __init__(self, *, name: str, source_id: str):
        self.name = name
        self.source_id = source_id
        self.spec: StreamSpec | None = None
        self._outlets: StreamOutlets | None = None
        self._seen: dict[str, None] = {}
        self._held: list[FeatureVector] = []

    def on_window(self, features: FeatureVector, prediction: dict[str, Any] | None) -> None:
        if self._outlets is None:
            self._seen.update(dict.fromkeys(features.row()))
            self._held.append(features)
            if features.reasons and len(self._held) < DECLARE_AFTER_WINDOWS:
                return
            self._declare()
            for held in self._held:
                self._push(held)
            self._held.clear()
            return
        self._push(features)

    def _declare(self) -> None:
        columns = tuple(c for c in self._seen if c not in ("t_start", "t_end"))
        self.spec = StreamSpec(
            kind="Features",
            name=self.name,
            channels=columns,
            units=tuple(unit_of(c) for c in columns),
            rate_hz=IRREGULAR_RATE,
            source_id=self.source_id,
            channel_format="double64",
        )
        self._outlets = StreamOutlets([self.spec], model="features")

    def _push(self, features: FeatureVector) -> None:
        assert self.spec is not None and self._outlets is not None
        row = features.row()
        values = np.array([[row.get(c, np.nan) for c in self.spec.channels]], dtype=np.float64)
        self._outlets.push(Chunk(self.spec, np.array([features.t_end]), values))

    def close(self) -> None:
        if self._outlets is not None:
            self._outlets.close()
