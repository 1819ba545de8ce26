"""What a source yields besides chunks: gaps in a stream, clock offsets, link status."""

from __future__ import annotations

from dataclasses import dataclass

from emostream.core.chunk import Chunk


@dataclass(frozen=True, slots=True)
class Gap:
    """A stretch of time in which a stream delivered nothing (dropout, reconnect, outlet lost)."""

    source_id: str
    t_from_s: float
    t_to_s: float
    reason: str


@dataclass(frozen=True, slots=True)
class ClockOffset:
    """An offset measured between a stream's clock and the local LSL clock (remote → local),
    added to the stream's timestamps from `measured_at_s` on; kept for provenance."""

    source_id: str
    measured_at_s: float
    offset_s: float


@dataclass(frozen=True, slots=True)
class LinkState:
    """A device link's status as it changed: state (connecting, streaming, reconnecting),
    battery, signal strength and outages so far. `source_id` is the device's first stream's."""

    source_id: str
    t_s: float
    state: str
    battery_pct: int | None = None
    rssi_dbm: int | None = None
    n_gaps: int = 0
    last_error: str = ""


#: what a source reports about itself rather than data: sinks get these through `on_event`
StatusEvent = ClockOffset | LinkState
SourceEvent = Chunk | Gap | ClockOffset | LinkState
