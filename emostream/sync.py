"""All modalities on the one clock, and how complete and how old each one is in every window.

A sample's time on the local LSL clock is

    t_local = t_producer + clock_offset_s − latency_s

- `clock_offset_s` is what LSL's `time_correction` measures between the producer's clock and
  ours; `LslSource` adds it to every chunk (and records each offset it used).
- `latency_s` is how long the producer takes between capturing a moment and stamping it (a
  face tracker stamps a video frame after analysing it). It is declared per device profile
  (`[device] latency_s`) and subtracted by `LatencyCorrected`.

Per window, `coverage_<stream>` (from the Windower) says how much of the window a stream
filled; `staleness_<stream>_s` says how old its newest sample is at the window's end, so a
modality that stops (a face turning away for good, a dead microphone) shows a growing age.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import numpy as np

from emostream.core.chunk import Chunk
from emostream.core.events import Gap, SourceEvent
from emostream.core.spec import StreamSpec
from emostream.errors import ConfigError
from emostream.sources.base import Source
from emostream.windowing import Window

#: stream keys (kind in lower case) by modality; everything else counts as physiology
MODALITY_KEYS = {"face": frozenset({"face"}), "voice": frozenset({"audio"})}


def correct_latency(chunk: Chunk, latency_s: float) -> Chunk:
    """The chunk with timestamps moved back by the producer's latency (arrival times kept)."""
    if latency_s == 0.0:
        return chunk
    return Chunk(chunk.spec, chunk.timestamps - latency_s, chunk.data, chunk.arrival_s)


class LatencyCorrected(Source):
    """Wraps a source whose producer stamps samples `latency_s` after they happened."""

    def __init__(self, source: Source, latency_s: float):
        if not (0.0 <= latency_s < 60.0):
            raise ConfigError(
                f"latency_s must be within 0..60 s, got {latency_s}", key="device.latency_s"
            )
        self.source = source
        self.latency_s = float(latency_s)

    @property
    def specs(self) -> tuple[StreamSpec, ...]:
        return self.source.specs

    async def events(self) -> AsyncIterator[SourceEvent]:
        lat = self.latency_s
        async for event in self.source.events():
            if isinstance(event, Gap):
                yield Gap(event.source_id, event.t_from_s - lat, event.t_to_s - lat, event.reason)
            elif isinstance(event, Chunk):
                yield correct_latency(event, lat)
            else:
                yield event

    async def aclose(self) -> None:
        await self.source.aclose()


def with_latency(source: Source, latency_s: float) -> Source:
    """`source` itself when the latency is zero, else wrapped in `LatencyCorrected`."""
    return source if latency_s == 0.0 else LatencyCorrected(source, latency_s)


class StalenessTracker:
    """Age of each stream's newest sample at every window's end (windows in time order).

    A stream that has delivered nothing yet has no staleness (absent key); one that stopped
    keeps its last sample time, so its staleness grows window after window.
    """

    def __init__(self) -> None:
        self._newest: dict[str, float] = {}

    def update(self, window: Window) -> dict[str, float]:
        for key, part in window.streams.items():
            if part.timestamps.size:
                newest = float(part.timestamps[-1])
                if newest > self._newest.get(key, -np.inf):
                    self._newest[key] = newest
        return {key: window.t_end - t for key, t in self._newest.items()}

    def reset(self) -> None:
        self._newest.clear()


def modality_of(key: str) -> str:
    """'face', 'voice' or 'physiology' for a stream key."""
    for modality, keys in MODALITY_KEYS.items():
        if key in keys:
            return modality
    return "physiology"
