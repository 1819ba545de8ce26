"""The `[[sources]]` table of a pipeline: which device or recording, and how to read it."""

from __future__ import annotations

from dataclasses import dataclass

from emostream.config import check_range

#: longest synthetic session and fastest pacing a source accepts
MAX_DURATION_S = 7 * 24 * 3600.0
MAX_SPEED = 1e6


@dataclass(frozen=True)
class SourceConfig:
    """One `[[sources]]` entry: a device profile plus transport-specific options, or a
    recording replayed as if live."""

    device: str = ""
    #: a recording (any format `emostream process` reads), replayed at `speed`
    recording: str = ""
    #: only these stream kinds of the device (empty: all of them)
    kinds: tuple[str, ...] = ()
    #: synthetic: random seed and session length (0 = one pass of the protocol)
    seed: int = 1
    duration_s: float = 0.0
    #: synthetic or recording: pacing as a multiple of real time (0 = as fast as possible)
    speed: float = 1.0
    #: lsl: override the profile's match with a stream name or source_id
    name: str = ""
    source_id: str = ""
    resolve_timeout_s: float = 5.0
    #: lsl: streams from one host share one clock-offset measurement (false: this stream
    #: measures its own, for machines that share a hostname)
    shared_clock: bool = True
    #: ble / e4-tcp: device address (MAC, platform id, or host:port)
    address: str = ""

    def __post_init__(self) -> None:
        check_range("seed", self.seed, 0, 2**32 - 1)
        check_range("duration_s", self.duration_s, 0.0, MAX_DURATION_S)
        check_range("speed", self.speed, 0.0, MAX_SPEED)
        check_range("resolve_timeout_s", self.resolve_timeout_s, 0.0, 3600.0, low_open=True)
