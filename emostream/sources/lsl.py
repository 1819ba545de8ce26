"""LSL inlet as a Source: resolve, pull chunks into numpy, correct clock offsets, survive dropouts."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
import weakref
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from threading import Lock, Thread
from typing import Any, TypeVar

import numpy as np
import pylsl
from pylsl.util import LostError
from pylsl.util import TimeoutError as LslTimeoutError

from emostream.core.chunk import Chunk
from emostream.core.clock import lsl_now_s
from emostream.core.events import ClockOffset, Gap, SourceEvent
from emostream.core.lslinfo import info_to_spec
from emostream.core.spec import StreamSpec
from emostream.core.timestamps import TimestampGuard, TimestampStats
from emostream.errors import ResolveError, UsageError
from emostream.sources.base import Source
from emostream.sources.host_clock import HostClocks
from emostream.sources.lsl_recovery import (
    RESOLVE_S,
    Recovery,
    due_now,
    look_up,
    recovery_predicate,
)
from emostream.windowing import GAP_PERIODS

log = logging.getLogger(__name__)

#: the most recent clock offsets an LslSource keeps in `clock_offsets` (a minute at the default
#: refresh; every one is also yielded as an event, and recorded, so keeping more only grows a
#: long run's memory)
CLOCK_OFFSETS_KEPT = 12
#: kinds whose samples arrive irregularly or in bursts (BLE): never dejittered
GAPPY_KINDS = frozenset({"RR", "HR", "Markers"})
#: how often the poller of an event loop looks at each of its inlets (the most it adds to a
#: chunk's way to the loop)
POLL_PERIOD_S = 0.005
#: seconds of data an inlet buffers while its consumer is busy or stalled
INLET_BUFFER_S = 360
#: how often the poller asks which streams are silent past their limit (`lsl_recovery`)
LOOKUP_PERIOD_S = 0.1

T = TypeVar("T")


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
    it is found again with the same source_id (`emostream.sources.lsl_recovery`); the
    silence is reported as a `Gap` once data resumes, and counted in `n_gaps`.

    The sources of one event loop share one reader thread (`_Poller`), which pulls what
    each inlet holds every `POLL_PERIOD_S`; a silent inlet is reported every
    `silent_tick_s`.
    """

    def __init__(
        self,
        query: LslQuery,
        *,
        resolve_timeout_s: float = 5.0,
        gappy: bool = False,
        max_chunk: int = 4096,
        silent_tick_s: float = 0.2,
        clock_refresh_s: float = 5.0,
        gap_after_s: float | None = None,
        max_jump_s: float = 1.0,
        host_clocks: HostClocks | None = None,
    ):
        self.query = query
        info = resolve(query, resolve_timeout_s)
        # the full info (with desc/channels) needs an inlet; open it now so specs are known
        inlet = pylsl.StreamInlet(info, max_buflen=INLET_BUFFER_S, recover=True)
        self._spec = info_to_spec(inlet.info(resolve_timeout_s))
        self._silent_tick_s = silent_tick_s
        self._clock_refresh_s = clock_refresh_s
        self._gap_after_s = gap_after_s if gap_after_s is not None else silence_limit_s(self._spec)
        self._gap_step_s = GAP_PERIODS / self._spec.rate_hz if not self._spec.is_irregular else 0.0
        self.host_clocks = host_clocks
        recovery = Recovery(
            recovery_predicate(info),
            info.source_id(),
            silence_s=math.inf if self._spec.is_irregular else self._gap_after_s,
        )
        self._reader = _Reader(inlet, info, recovery, self._spec.name, max_chunk, silent_tick_s)
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
        inlet = self._reader.inlet
        if inlet is None:
            raise LostError(f"{self._spec.name}: no outlet to measure the clock of")
        return float(inlet.time_correction(timeout=2.0))

    def _refresh_offset(self) -> ClockOffset | None:
        """The clock offset to use from now on, or None if it is the one in use."""
        if self.host_clocks is None:
            offset_s = self._measure_offset_s()
            measured_at_s = lsl_now_s()
        else:
            measured_at_s, offset_s = self.host_clocks.offset(
                self._reader.hostname, self, self._measure_offset_s, self._clock_refresh_s
            )
        if self.clock_offsets and self.clock_offsets[-1].measured_at_s == measured_at_s:
            return None
        measured = ClockOffset(self._spec.source_id, measured_at_s, offset_s)
        self.clock_offsets.append(measured)
        return measured

    async def open(self, timeout_s: float = 5.0) -> None:
        """Subscribe now (data pushed from here on is kept); `events()` does it if needed."""
        inlet = self._reader.inlet
        if inlet is not None:
            await asyncio.to_thread(inlet.open_stream, timeout_s)

    async def events(self) -> AsyncIterator[SourceEvent]:
        await self.open()
        # None only when events() ran before on this source: the offset in use stands
        measured = await asyncio.to_thread(self._refresh_offset) or self.clock_offsets[-1]
        yield measured
        offset = measured.offset_s
        last_refresh = last_arrival = lsl_now_s()
        refresh: asyncio.Future[ClockOffset | None] | None = None
        last_t: float | None = None
        silent = False
        loop = asyncio.get_running_loop()
        reader = self._reader
        generation = reader.generation
        _Poller.of(loop).add(reader)
        try:
            while not self._closed:
                item = await reader.inbox.get()
                reader.taken = True  # the poller may pull the inlet again
                if isinstance(item, Exception):
                    raise item
                if refresh is not None and refresh.done():
                    refreshed, refresh = _offset_or_none(refresh, self._spec.name), None
                    if refreshed is not None:
                        yield refreshed
                        offset = refreshed.offset_s
                data, ts, now = item
                if not ts.size:
                    if not silent and now - last_arrival > self._gap_after_s:
                        silent = True
                        log.warning("%s: no data for %.1f s", self._spec.name, now - last_arrival)
                    continue
                if generation != reader.generation:  # a new outlet (maybe on another host)
                    generation, last_refresh = reader.generation, -math.inf
                if refresh is None and now - last_refresh > self._clock_refresh_s:
                    # measured beside the poller, which leaves this inlet alone meanwhile
                    refresh = loop.run_in_executor(None, reader.exclusive, self._refresh_offset)
                    last_refresh = now
                guarded = self.guard.apply(ts + offset, now)
                for t_from, t_to in guarded.gaps:
                    yield Gap(self._spec.source_id, t_from, t_to, "timestamps not usable")
                # silent: seen so by an empty poll, or by the arrival after a silent stretch
                # that no poll reported (a loaded machine's poller may come only with the data)
                silent_before = silent or now - last_arrival > self._gap_after_s
                silent, last_arrival = False, now
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
            reader.closed = True  # the poller closes the inlet's stream and forgets it
            if refresh is not None:  # its result, or failure, is of no use any more
                refresh.cancel()

    def timestamp_stats(self) -> dict[str, TimestampStats]:
        return {self._spec.source_id: self.guard.stats}

    async def aclose(self) -> None:
        self._closed = True


def _offset_or_none(refresh: asyncio.Future[ClockOffset | None], name: str) -> ClockOffset | None:
    """A refresh's new offset; None (the offset in use stands) if its outlet was lost or did
    not answer meanwhile."""
    try:
        return refresh.result()
    except (LostError, LslTimeoutError) as exc:
        log.warning("%s: clock offset not refreshed (%s); the previous one stands", name, exc)
        return None


_EMPTY = np.empty(0)


class _Reader:
    """One inlet as its event loop's poller reads it. Every liblsl call on the inlet, from the
    poller, a clock measurement or a recovery, holds `lock`: one at a time. While its outlet
    is gone (`lsl_recovery`) there is no inlet, and the reader reports silence."""

    __slots__ = (
        "_handed_at_s",
        "_max_chunk",
        "_silent_tick_s",
        "_uid",
        "closed",
        "generation",
        "hostname",
        "inbox",
        "inlet",
        "lock",
        "name",
        "recovery",
        "taken",
    )

    def __init__(
        self,
        inlet: pylsl.StreamInlet,
        info: pylsl.StreamInfo,
        recovery: Recovery,
        name: str,
        max_chunk: int,
        silent_tick_s: float,
    ) -> None:
        self.inlet: pylsl.StreamInlet | None = inlet
        self._uid = info.uid()
        self.hostname = info.hostname()
        #: how many times the reader has subscribed to a new outlet
        self.generation = 0
        self.recovery = recovery
        self.name = name
        self.inbox: asyncio.Queue[Any] = asyncio.Queue()
        self.lock = Lock()
        #: the loop has taken the last result; until then, liblsl's buffer holds what comes
        #: (a busy loop gets the backlog as one larger chunk)
        self.taken = True
        #: the source has ended: close the inlet's stream and forget it
        self.closed = False
        self._max_chunk = max_chunk
        self._silent_tick_s = silent_tick_s
        self._handed_at_s = lsl_now_s()

    def exclusive(self, call: Callable[[], T]) -> T:
        """`call()` (a liblsl call on the inlet, from another thread) while the poller waits."""
        with self.lock:
            return call()

    def poll(self, sweep_s: float) -> tuple[np.ndarray, np.ndarray, float] | Exception | None:
        """What to hand on now: (data, timestamps, arrival) when the inlet holds samples, an
        empty result when it has been silent for a tick (as of `sweep_s`, when the sweep
        began), a liblsl error, or None."""
        if not self.taken or not self.lock.acquire(blocking=False):
            return None
        result: tuple[np.ndarray, np.ndarray, float] | Exception
        try:
            data = ts = _EMPTY
            now = sweep_s
            if self.inlet is not None and self.inlet.samples_available():
                data, ts = self.inlet.pull_chunk(
                    timeout=0.0, max_samples=self._max_chunk, as_numpy=True
                )
                ts = np.asarray(ts, dtype=np.float64)
                now = lsl_now_s()  # the arrival, read only for what arrived
                self.recovery.data_arrived(now)
            if not ts.size and now - self._handed_at_s < self._silent_tick_s:
                return None
            self._handed_at_s = now
            result = (data, ts, now)
        except Exception as exc:  # the source raises it and ends
            result = exc
        finally:
            self.lock.release()
        self.taken = False
        return result

    def close(self) -> bool:
        """Close the inlet's stream (an inlet left open keeps trying to recover its stream once
        the outlet is gone); False while a clock measurement holds the inlet."""
        if not self.lock.acquire(blocking=False):
            return False
        try:
            with contextlib.suppress(Exception):
                if self.inlet is not None:
                    self.inlet.close_stream()
        finally:
            self.lock.release()
        return True

    def outlet_uid(self) -> str | None:
        return self._uid if self.inlet is not None else None

    def replace_inlet(self, info: pylsl.StreamInfo | None) -> bool:
        """Subscribe to `info`'s outlet, or drop the inlet (None), which ends liblsl's own
        recovery; False, replacing nothing, if the old inlet receives data after all or the
        new one cannot subscribe."""
        since_s = lsl_now_s()
        new = None
        if info is not None:
            if self.closed:  # its source has ended meanwhile
                return False
            new = pylsl.StreamInlet(info, max_buflen=INLET_BUFFER_S, recover=True)
            try:
                new.open_stream(RESOLVE_S)
            except Exception as exc:  # the next lookup tries again
                log.warning("%s: could not subscribe to its outlet again: %s", self.name, exc)
                return False
        return self.swap_inlet(new, info, since_s)

    def swap_inlet(
        self, new: pylsl.StreamInlet | None, info: pylsl.StreamInfo | None, since_s: float
    ) -> bool:
        """Take `new` (subscribed to `info`'s outlet from `since_s` on) in place of the inlet;
        False if the old inlet holds data or has received any since then: liblsl's own
        recovery found the outlet first, and `new` holds again what the old one handed on."""
        with self.lock:
            if self.inlet is not None and (
                self.recovery.last_data_s >= since_s or self.inlet.samples_available()
            ):
                return False
            old, self.inlet = self.inlet, new
            if info is not None:
                self._uid, self.hostname = info.uid(), info.hostname()
                self.generation += 1
        del old  # the last reference: liblsl destroys the inlet and its recovery
        return True


class _Poller:
    """One thread reads every LSL inlet of an event loop: every `POLL_PERIOD_S` it pulls what
    each inlet holds (liblsl buffers it in between) and hands all it got to the loop in one
    wake-up. A thread per inlet would wake, and wake the loop, for every chunk of every
    stream: with hundreds of streams the thread switches cost more than the reading."""

    def __init__(self, loop: asyncio.AbstractEventLoop, period_s: float = POLL_PERIOD_S) -> None:
        self._loop = weakref.ref(loop)  # a closed, dropped loop takes its poller with it
        self._period_s = period_s
        self._lock = Lock()
        self._readers: list[_Reader] = []
        self._thread: Thread | None = None
        #: the lookup of silent streams under way (`lsl_recovery`), one at a time
        self._lookup: Thread | None = None
        self._next_lookup_s = -math.inf

    @classmethod
    def of(cls, loop: asyncio.AbstractEventLoop) -> _Poller:
        """The poller of `loop` (one per loop, shared by its LSL sources)."""
        with _POLLERS_LOCK:
            poller = _POLLERS.get(loop)
            if poller is None:
                poller = _POLLERS[loop] = cls(loop)
            return poller

    def add(self, reader: _Reader) -> None:
        reader.recovery.data_arrived(lsl_now_s())  # its silence counts from here
        with self._lock:
            self._readers.append(reader)
            if self._thread is None:  # it ends when its last reader has gone
                self._thread = Thread(target=self._run, name="lsl-poller", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        next_sweep_s = time.monotonic()
        while True:
            with self._lock:
                if not self._readers:
                    self._thread = None
                    return
                readers = list(self._readers)
            if not self._sweep(readers):
                return
            next_sweep_s += self._period_s
            wait_s = next_sweep_s - time.monotonic()
            if wait_s > 0:
                time.sleep(wait_s)
            else:  # behind (a long sweep): start the next one now, not a burst of them
                next_sweep_s = time.monotonic()

    def _sweep(self, readers: list[_Reader]) -> bool:
        """Pull every reader once and hand the results on; False once the loop has closed."""
        sweep_s = lsl_now_s()
        results = [
            (r, result) for r in readers if not r.closed and (result := r.poll(sweep_s)) is not None
        ]
        ended = [r for r in readers if r.closed and r.close()]
        self._look_up_silent(readers, sweep_s)
        if results:
            loop = self._loop()
            try:
                if loop is None:
                    raise RuntimeError("the event loop is gone")
                loop.call_soon_threadsafe(_deliver, results)
            except RuntimeError:  # the loop has closed: nobody reads these inlets any more
                with self._lock:
                    for reader in self._readers:
                        reader.close()
                    self._readers.clear()
                    self._thread = None
                return False
        if ended:
            with self._lock:
                self._readers = [r for r in self._readers if r not in ended]
        return True

    def _look_up_silent(self, readers: list[_Reader], now_s: float) -> None:
        """Start a lookup of every stream silent past its limit (with those about to be:
        `lsl_recovery.due_now`), unless one is under way (asked every `LOOKUP_PERIOD_S`, not
        every sweep)."""
        if now_s < self._next_lookup_s or (self._lookup is not None and self._lookup.is_alive()):
            return
        self._next_lookup_s = now_s + LOOKUP_PERIOD_S
        open_readers = [r for r in readers if not r.closed]
        due = [open_readers[k] for k in due_now([r.recovery for r in open_readers], now_s)]
        if due:
            self._lookup = Thread(target=look_up, args=(due,), name="lsl-lookup", daemon=True)
            self._lookup.start()


def _deliver(results: list[tuple[_Reader, Any]]) -> None:
    for reader, result in results:
        reader.inbox.put_nowait(result)


_POLLERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Poller] = (
    weakref.WeakKeyDictionary()
)
_POLLERS_LOCK = Lock()
