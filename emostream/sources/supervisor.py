"""Supervised sessions: reconnect with exponential back-off and jitter, mark the gaps.

A driver describes one connection as a *session*: an async iterator that yields `Connected`
once the link is up, then chunks, and ends (or raises a transient error) when the link is
lost. `supervise` runs sessions back to back for the lifetime of the source. The driver keeps
its specs, so source_ids and the LSL outlets fed from them stay the same across reconnects;
each outage becomes one `Gap` per stream and two markers ("disconnected", "reconnected").
Every change of the link status (state, battery, signal strength, outages) is yielded as a
`LinkState` event, so views and recorders learn it from the events, like gaps.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from emostream.core.chunk import Chunk
from emostream.core.clock import lsl_now_s
from emostream.core.events import Gap, LinkState, SourceEvent
from emostream.core.spec import StreamSpec
from emostream.sources.device_errors import ConnectionLostError, DeviceNotFoundError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Connected:
    """Yielded by a session once its link is up (before any data)."""

    detail: str = ""


@dataclass(frozen=True)
class BackoffPolicy:
    """Delay before reconnect attempt n: min(max_s, initial_s·factor^n), scaled by a random
    factor in [1 − jitter, 1] so many wearers' drivers do not retry in lockstep."""

    initial_s: float = 0.2
    factor: float = 2.0
    max_s: float = 3.0
    jitter: float = 0.5

    def delay_s(self, attempt: int, rng: random.Random) -> float:
        base = min(self.max_s, self.initial_s * self.factor ** min(attempt, 32))
        return base * (1.0 - self.jitter * rng.random())


#: errors worth a reconnect; any other DeviceError (no adapter, permission, in charger) reaches the user
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    ConnectionLostError,
    DeviceNotFoundError,
    TimeoutError,
    ConnectionError,
    EOFError,
)


@dataclass
class LinkStatus:
    """What a live view shows about a device link."""

    state: str = "connecting"
    n_connects: int = 0
    n_gaps: int = 0
    last_error: str = ""
    battery_pct: int | None = None
    rssi_dbm: int | None = None
    gaps_s: list[float] = field(default_factory=list)


class Supervisor:
    """Runs sessions until closed; converts outages into Gaps and markers.

    The first connection's errors are raised (the user asked for a device that is not
    there); once a session has run, every transient error is retried forever.
    """

    def __init__(
        self,
        session: Callable[[], AsyncIterator[Chunk | Connected]],
        specs: tuple[StreamSpec, ...],
        *,
        name: str,
        policy: BackoffPolicy | None = None,
        seed: int | None = None,
        status: LinkStatus | None = None,
    ) -> None:
        self._session = session
        self._specs = specs
        self._markers = next((s for s in specs if s.is_event_markers), None)
        self._name = name
        self.policy = policy or BackoffPolicy()
        self._rng = random.Random(seed)
        self.status = status or LinkStatus()
        self._closed = asyncio.Event()
        self._device_id = next((s.source_id for s in specs if not s.is_markers), name)
        self._reported: LinkState | None = None

    def close(self) -> None:
        self._closed.set()

    def marker(self, t_s: float, text: str) -> Chunk | None:
        if self._markers is None:
            return None
        return Chunk.from_arrays(self._markers, [t_s], [text])

    def battery(self, pct: int, low_pct: int) -> Chunk | None:
        """Record the battery level (%); a "battery low" marker when it first falls to
        `low_pct` or below, not at every reading after."""
        before = self.status.battery_pct
        self.status.battery_pct = pct
        if pct > low_pct or (before is not None and before <= low_pct):
            return None
        log.warning("%s: battery low (%d %%); charge it soon", self._name, pct)
        return self.marker(lsl_now_s(), f"battery low: {pct} %")

    async def events(self) -> AsyncIterator[SourceEvent]:
        attempt = 0
        lost_at: float | None = None
        reason = ""
        while not self._closed.is_set():
            try:
                async for item in self._session():
                    if isinstance(item, Connected):
                        attempt = 0
                        self.status.state = "streaming"
                        self.status.n_connects += 1
                        if lost_at is not None:
                            for event in self._gap_events(lost_at, lsl_now_s(), reason):
                                yield event
                            lost_at = None
                    else:
                        yield item
                    if (change := self._link_change()) is not None:
                        yield change
                reason = "the device stopped sending"
            except TRANSIENT_ERRORS as exc:
                if self.status.n_connects == 0:
                    raise
                reason = str(exc)
            if self._closed.is_set():
                return
            if lost_at is None:
                lost_at = lsl_now_s()
                self.status.state = "reconnecting"
                self.status.last_error = reason
                log.warning("%s: %s; reconnecting", self._name, reason)
                if (m := self.marker(lost_at, f"disconnected: {reason}")) is not None:
                    yield m
                if (change := self._link_change()) is not None:
                    yield change
            delay = self.policy.delay_s(attempt, self._rng)
            attempt += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closed.wait(), timeout=delay)

    def _link_change(self) -> LinkState | None:
        """The link status as an event, when it differs from the one last reported."""
        st = self.status
        now = LinkState(
            self._device_id, lsl_now_s(), st.state, st.battery_pct, st.rssi_dbm, st.n_gaps,
            st.last_error,
        )  # fmt: skip
        last = self._reported
        if last is not None and dataclasses.replace(last, t_s=now.t_s) == now:
            return None
        self._reported = now
        return now

    def _gap_events(self, t_from: float, t_to: float, reason: str) -> list[SourceEvent]:
        self.status.n_gaps += 1
        self.status.gaps_s.append(t_to - t_from)
        del self.status.gaps_s[:-100]
        log.warning("%s: reconnected after %.2f s", self._name, t_to - t_from)
        events: list[SourceEvent] = [
            Gap(spec.source_id, t_from, t_to, reason) for spec in self._specs if not spec.is_markers
        ]
        if (m := self.marker(t_to, f"reconnected: gap {t_to - t_from:.3f} s")) is not None:
            events.append(m)
        return events
