"""LSL inlet as a Source: resolve, pull chunks into numpy, correct clock offsets, survive dropouts."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import weakref
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from threading import Lock, Thread
from typing import Any

import numpy as np
import pylsl

from emostream.core.chunk import Chunk
from emostream.core.clock import lsl_now_s
from emostream.core.events import ClockOffset, Gap, SourceEvent
from emostream.core.lslinfo import info_to_spec
from emostream.core.spec import StreamSpec
from emostream.core.timestamps import TimestampGuard, TimestampStats
from emostream.errors import ResolveError, UsageError
from emostream.sources.base import Source
from emostream.sources.host_clock import HostClocks
from emostream.windowing import GAP_PERIODS

log = logging.getLogger(__name__)

#: the most recent clock offsets an LslSource keeps in `clock_offsets` (a minute at the default
#: refresh; every one is also yielded as an event, and recorded, so keeping more only grows a
#: long run's memory)
CLOCK_OFFSETS_KEPT = 12
#: kinds whose samples arrive irregularly or in bursts (BLE): never dejittered
GAPPY_KINDS = frozenset({"RR", "HR", "Markers"})


@dataclass(frozen=True, slots=True)
class LslQuery:
    """Which outlet to subscribe to: any combination of name, type and source_id."""

    name: str = ""
    type: str = ""
    source_id: str = ""

    def __post_init__(self) -> None:
        if not (self.name or self.type or self.source_id):
            raise UsageError("an LSL query needs a name, a type or a source_id")
        for value in (self.name, self.type, self.source_id):
            if "'" in value:
                raise UsageError(f"LSL query values cannot contain quotes: {value!r}")

    def predicate(self) -> str:
        parts = [
            f"{k}='{v}'"
            for k, v in (("name", self.name), ("type", self.type), ("source_id", self.source_id))
            if v
        ]
        return " and ".join(parts)

    def __str__(self) -> str:
        return self.predicate()


def resolve(query: LslQuery, timeout_s: float) -> pylsl.StreamInfo:
    """First stream matching `query`, or ResolveError naming the query and the timeout."""
    found = pylsl.resolve_bypred(query.predicate(), 1, timeout_s)
    if not found:
        raise ResolveError(
            f"no LSL stream matched {query} within {timeout_s:g} s; check that the outlet is "
            "running (`emostream streams` lists what is visible) and the query spelling"
        )
    return found[0]


def dejitters(spec: StreamSpec, gappy: bool = False) -> bool:
    """Dejitter only regular, gap-free streams (PROTOCOLS.md §5)."""
    return not (spec.is_irregular or gappy or spec.kind in GAPPY_KINDS)


def silence_limit_s(spec: StreamSpec) -> float:
    """Seconds without data after which a stream counts as silent (a warning, then a gap).
    Utterances come when people speak or write, so a text stream's silence is no outage."""
    if spec.is_text:
        return math.inf
    period_s = 1.0 / spec.rate_hz if not spec.is_irregular else 1.0
    return max(1.0, 20 * period_s)


class LslSource(Source):
    """Subscribes to one LSL outlet.

    Timestamps are moved onto the local LSL clock with `time_correction`, refreshed every
    `clock_refresh_s`; with `host_clocks`, the streams from one host share one measurement
    (see `emostream.sources.host_clock`). Every offset used is yielded as a `ClockOffset`
    event (the latest `CLOCK_OFFSETS_KEPT` are kept in `clock_offsets`). They then pass a
    `TimestampGuard` (checked against the arrival time): non-finite and jumping timestamps
    are counted and repaired or dropped with a `Gap`, so the stream goes on. Regular streams
    are dejittered by the guard, not by liblsl (whose dejitter returns NaN for good after one
    non-finite timestamp); irregular and gappy ones are not. If the outlet disappears,
    liblsl re-subscribes to the same source_id when it comes back; the silence is reported
    as a `Gap` once data resumes, and counted in `n_gaps`.
    """

    def __init__(
        self,
        query: LslQuery,
        *,
        resolve_timeout_s: float = 5.0,
        gappy: bool = False,
        max_chunk: int = 4096,
        pull_timeout_s: float = 0.2,
        clock_refresh_s: float = 5.0,
        gap_after_s: float | None = None,
        max_jump_s: float = 1.0,
        host_clocks: HostClocks | None = None,
    ):
        self.query = query
        self._info = resolve(query, resolve_timeout_s)
        # the full info (with desc/channels) needs an inlet; open it now so specs are known
        self._spec = info_to_spec(self._info)
        self._inlet = pylsl.StreamInlet(self._info, max_buflen=360, recover=True)
        self._spec = info_to_spec(self._inlet.info(resolve_timeout_s))
        self._max_chunk = max_chunk
        self._pull_timeout_s = pull_timeout_s
        self._clock_refresh_s = clock_refresh_s
        self._gap_after_s = gap_after_s if gap_after_s is not None else silence_limit_s(self._spec)
        self._gap_step_s = GAP_PERIODS / self._spec.rate_hz if not self._spec.is_irregular else 0.0
        self.host_clocks = host_clocks
        self._hostname = self._info.hostname()
        self.clock_offsets: deque[ClockOffset] = deque(maxlen=CLOCK_OFFSETS_KEPT)
        self.guard = TimestampGuard(
            self._spec.rate_hz, max_jump_s=max_jump_s, dejitter=dejitters(self._spec, gappy)
        )
        self.n_gaps = 0
        self._closed = False

    @property
    def specs(self) -> tuple[StreamSpec, ...]:
        return (self._spec,)

    @property
    def spec(self) -> StreamSpec:
        return self._spec

    @property
    def closed(self) -> bool:
        return self._closed

    def _measure_offset_s(self) -> float:
        return float(self._inlet.time_correction(timeout=2.0))

    def _refresh_offset(self) -> ClockOffset | None:
        """The clock offset to use from now on, or None if it is the one in use."""
        if self.host_clocks is None:
            offset_s = self._measure_offset_s()
            measured_at_s = lsl_now_s()
        else:
            measured_at_s, offset_s = self.host_clocks.offset(
                self._hostname, self, self._measure_offset_s, self._clock_refresh_s
            )
        if self.clock_offsets and self.clock_offsets[-1].measured_at_s == measured_at_s:
            return None
        measured = ClockOffset(self._spec.source_id, measured_at_s, offset_s)
        self.clock_offsets.append(measured)
        return measured

    def _pull(self, timeout_s: float) -> tuple[np.ndarray, np.ndarray]:
        data, ts = self._inlet.pull_chunk(
            timeout=timeout_s, max_samples=self._max_chunk, min_samples=1, as_numpy=True
        )
        return data, np.asarray(ts, dtype=np.float64)

    async def open(self, timeout_s: float = 5.0) -> None:
        """Subscribe now (data pushed from here on is kept); `events()` does it if needed."""
        await asyncio.to_thread(self._inlet.open_stream, timeout_s)

    def _read(self, handoff: _Handoff, inbox: asyncio.Queue, taken: Lock) -> None:
        """The inlet's reader thread: every liblsl call on the inlet happens here. Blocks
        until data comes (or the pull times out), measures the clock offset when due, and
        hands each result to the event loop once the loop has taken the last: while a busy
        loop has not, liblsl's buffer absorbs the backlog, and the next pull takes it as one
        larger chunk. A liblsl error is handed on and ends the thread. When the source closes,
        the thread closes the inlet's stream (an inlet left open would keep trying to recover
        its stream once the outlet is gone)."""
        try:
            self._read_until_closed(handoff, inbox, taken)
        finally:
            with contextlib.suppress(Exception):
                self._inlet.close_stream()

    def _read_until_closed(self, handoff: _Handoff, inbox: asyncio.Queue, taken: Lock) -> None:
        last_refresh = lsl_now_s()  # `events` measured the offset just before
        while not self._closed:
            items: list[Any] = []
            try:
                data, ts = self._pull(self._pull_timeout_s)
                if ts.size and lsl_now_s() - last_refresh > self._clock_refresh_s:
                    if (measured := self._refresh_offset()) is not None:
                        items.append(measured)
                    last_refresh = lsl_now_s()
                items.append((data, ts, lsl_now_s()))
            except Exception as exc:
                items.append(exc)
            # waits only while the loop has not taken the last result: pulling first, and
            # waiting here, spares the thread a sleep and a wake-up for every chunk
            taken.acquire()
            if self._closed:
                return
            try:
                handoff.put(inbox, items)
            except RuntimeError:  # the event loop has closed
                return
            if isinstance(items[-1], Exception):
                return

    async def events(self) -> AsyncIterator[SourceEvent]:
        await self.open()
        # None only when events() ran before on this source: the offset in use stands
        measured = await asyncio.to_thread(self._refresh_offset) or self.clock_offsets[-1]
        yield measured
        offset = measured.offset_s
        last_t: float | None = None
        last_arrival = lsl_now_s()
        silent = False
        inbox: asyncio.Queue = asyncio.Queue()
        taken = Lock()  # held from a result's hand-off until the loop takes it
        reader = Thread(
            target=self._read,
            args=(_Handoff.of(asyncio.get_running_loop()), inbox, taken),
            name=f"lsl-{self._spec.name}",
            daemon=True,
        )
        reader.start()
        try:
            while not self._closed:
                item = await inbox.get()
                if isinstance(item, ClockOffset):
                    yield item
                    offset = item.offset_s
                    continue
                _release(taken)
                if isinstance(item, Exception):
                    raise item
                data, ts, now = item
                if not ts.size:
                    if not silent and now - last_arrival > self._gap_after_s:
                        silent = True
                        log.warning("%s: no data for %.1f s", self._spec.name, now - last_arrival)
                    continue
                guarded = self.guard.apply(ts + offset, now)
                for t_from, t_to in guarded.gaps:
                    yield Gap(self._spec.source_id, t_from, t_to, "timestamps not usable")
                silent_before, silent = silent, False
                last_arrival = now
                ts = guarded.timestamps
                if guarded.keep is not None:
                    data = data[guarded.keep]
                if not ts.size:
                    continue
                # a silence is a gap when the data shows one (not when only the consumer stalled)
                if (
                    silent_before
                    and last_t is not None
                    and float(ts[0]) - last_t > self._gap_step_s
                ):
                    self.n_gaps += 1
                    yield Gap(self._spec.source_id, last_t, float(ts[0]), "outlet silent or lost")
                if self._spec.is_markers:
                    values = np.empty(data.shape, dtype=object)
                    values[:] = [
                        [
                            v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)
                            for v in row
                        ]
                        for row in data
                    ]
                    data = values
                yield Chunk(self._spec, ts, data, np.full(ts.shape, now))
                last_t = float(ts[-1])
        finally:
            self._closed = True
            _release(taken)  # a reader waiting for its turn ends now

    def timestamp_stats(self) -> dict[str, TimestampStats]:
        return {self._spec.source_id: self.guard.stats}

    async def aclose(self) -> None:
        self._closed = True


class _Handoff:
    """Results from the reader threads of one event loop to the loop: the loop is woken once
    for every burst of results (readers that pull at about the same moment), not once for
    each, since each wake-up from another thread costs a system call and a thread switch."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = weakref.ref(loop)  # a closed, dropped loop takes its hand-off with it
        self._lock = Lock()
        self._waiting: list[tuple[asyncio.Queue, list[Any]]] = []

    @classmethod
    def of(cls, loop: asyncio.AbstractEventLoop) -> _Handoff:
        """The hand-off of `loop` (one per loop, shared by its LSL sources)."""
        with _HANDOFFS_LOCK:
            handoff = _HANDOFFS.get(loop)
            if handoff is None:
                handoff = _HANDOFFS[loop] = cls(loop)
            return handoff

    def put(self, inbox: asyncio.Queue, items: list[Any]) -> None:
        """From a reader thread: `items` go into `inbox`, in order, on the loop (RuntimeError
        when the loop has closed)."""
        with self._lock:
            self._waiting.append((inbox, items))
            if len(self._waiting) > 1:  # a wake-up is already on its way
                return
        loop = self._loop()
        if loop is None:
            raise RuntimeError("the event loop is gone")
        loop.call_soon_threadsafe(self._deliver)

    def _deliver(self) -> None:
        with self._lock:
            waiting, self._waiting = self._waiting, []
        for inbox, items in waiting:
            for item in items:
                inbox.put_nowait(item)


_HANDOFFS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Handoff] = (
    weakref.WeakKeyDictionary()
)
_HANDOFFS_LOCK = Lock()


def _release(lock: Lock) -> None:
    """Let the reader thread hand on its next result (a lock, not a Semaphore: this runs for
    every chunk)."""
    with contextlib.suppress(RuntimeError):  # already released
        lock.release()
