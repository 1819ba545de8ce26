"""One clock offset per remote host, shared by the LSL streams that come from it.

liblsl measures a remote clock through an inlet (`time_correction`), and an inlet that has
measured once keeps a thread that re-measures every few seconds, with memory that grows, for
as long as it lives. The offset belongs to the host, not to the stream: every outlet on one
machine stamps with that machine's clock. So one open inlet per host measures (the
*measurer*), and the other streams from that host take its latest offset.

Hosts are told apart by the hostname their outlets report. Machines that share a hostname
must not share a clock: give each its own hostname, or set `shared_clock = false` on the
source.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from threading import Lock
from typing import Protocol

from emostream.core.clock import lsl_now_s

#: a measurer that has not measured for this many refresh periods (its stream is silent, or
#: it closed) hands the measuring to the next stream that asks
HAND_OVER_AFTER_REFRESHES = 3.0


class ClockReader(Protocol):
    """What shares a host's clock: an LSL source that can measure through its own inlet."""

    @property
    def closed(self) -> bool: ...


@dataclass
class _Host:
    measuring: Lock = field(default_factory=Lock)
    measurer: Callable[[], ClockReader | None] = lambda: None
    measured_at_s: float = -math.inf
    offset_s: float = math.nan


class HostClocks:
    """The latest clock offset of each host, measured by one reader per host."""

    def __init__(self) -> None:
        self._lock = Lock()
        self._hosts: dict[str, _Host] = {}

    def offset(
        self, hostname: str, reader: ClockReader, measure: Callable[[], float], refresh_s: float
    ) -> tuple[float, float]:
        """(measured at, offset) in s for `reader`'s host. `reader` measures with `measure`
        (on its own inlet, no other call on it meanwhile) when it is the host's measurer and the offset
        is older than `refresh_s`, or when the host has no measurer that still measures.
        Other readers wait only while a measurement is under way."""
        with self._lock:
            host = self._hosts.setdefault(hostname, _Host())
        with host.measuring:
            now = lsl_now_s()
            measurer = host.measurer()
            if measurer is reader:
                due = now - host.measured_at_s > refresh_s
            else:
                due = (
                    measurer is None
                    or measurer.closed
                    or now - host.measured_at_s > HAND_OVER_AFTER_REFRESHES * refresh_s
                )
            if due:
                host.offset_s = float(measure())
                host.measured_at_s = lsl_now_s()
                host.measurer = weakref.ref(reader)
            return host.measured_at_s, host.offset_s


#: the clocks every LSL source of a pipeline shares (one registry per process)
HOST_CLOCKS = HostClocks()
