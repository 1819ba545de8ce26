"""LSL outlet of the feature vectors: one sample per window, NaN for an absent feature."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np

from emostream.core.chunk import Chunk
from emostream.core.spec import IRREGULAR_RATE, StreamSpec
from emostream.features.base import FeatureVector
from emostream.sinks.base import Sink
from emostream.sinks.lsl import StreamOutlets

#: declare the outlet at the latest after this many windows, even if some were incomplete
DECLARE_AFTER_WINDOWS = 10
#: makes the outlets off the event loop: liblsl takes about a millisecond for each
_OUTLET_MAKER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="features-outlet")
_UNITS = {"bpm", "ms", "ms2", "pct", "us", "c", "g", "hz", "db", "s", "uv", "uv2"}


def unit_of(column: str) -> str:
    """Unit from a `<signal>_<feature>_<unit>` column name (`hr_bpm` → bpm)."""
    tail = column.rsplit("_", 1)[-1]
    return tail if tail in _UNITS else ""


class FeatureOutletSink(Sink):
    """Publishes every window's features at the window's end time.

    LSL needs a fixed channel set: the outlet is declared at the first window in which every
    extractor produced its features (or after `DECLARE_AFTER_WINDOWS` windows), with the
    columns seen so far. It is made in a thread of its own, and the windows wait for it in
    order, so a wearer's first window does not wait for liblsl. An absent feature is sent as
    NaN here, and only here: the model never sees NaN. The stream is irregular (one sample
    per window).
    """

    def __init__(self, *, name: str, source_id: str):
        self.name = name
        self.source_id = source_id
        self.spec: StreamSpec | None = None
        #: the outlet, once declared (it may still be being made)
        self.outlet: Future[StreamOutlets] | None = None
        self._seen: dict[str, None] = {}
        self._held: list[FeatureVector] = []

    def on_window(self, features: FeatureVector, prediction: dict[str, Any] | None) -> None:
        self._held.append(features)
        if self.outlet is None:
            self._seen.update(dict.fromkeys(features.row()))
            if features.reasons and len(self._held) < DECLARE_AFTER_WINDOWS:
                return
            self._declare()
        elif self.outlet.done():
            self._push_held()

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
        self.outlet = _OUTLET_MAKER.submit(StreamOutlets, [self.spec], model="features")

    def _push_held(self) -> None:
        """Push the windows held so far, waiting for the outlet if it is still being made."""
        assert self.spec is not None and self.outlet is not None
        outlets = self.outlet.result()
        for features in self._held:
            row = features.row()
            values = np.array([[row.get(c, np.nan) for c in self.spec.channels]], np.float64)
            outlets.push(Chunk(self.spec, np.array([features.t_end]), values))
        self._held.clear()

    def close(self) -> None:
        if self.outlet is not None:
            self._push_held()
            self.outlet.result().close()
