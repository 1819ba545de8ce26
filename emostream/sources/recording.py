"""Replay a `Recording` as a source: all streams on one virtual clock, paced or as fast as possible.

Chunks of all streams are merged into one schedule. A session recorded by emostream carries
its arrival log, so its chunks come back with the same boundaries and in the same order as
they arrived live; other recordings are cut on a grid of `chunk_s` and ordered by their last
timestamp. Pacing waits for each chunk's absolute target time (one sleep per chunk, never per
sample), so errors do not accumulate over long replays.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import numpy as np

from emostream.core.chunk import Chunk
from emostream.core.clock import lsl_now_s
from emostream.core.events import Gap, SourceEvent
from emostream.core.spec import StreamSpec
from emostream.errors import UsageError
from emostream.formats.base import RecordedStream, Recording
from emostream.formats.salvage import salvage_timestamps
from emostream.formats.session.layout import ARRIVAL_LOG_KEY, ArrivalLog, unique_key
from emostream.sources.base import Source

#: in fast mode, hand control back to the event loop after this many chunks
_YIELD_EVERY = 64
#: a paced replay starts this long after `events()` is first iterated
_LEAD_S = 0.02


@dataclass(frozen=True, slots=True)
class Schedule:
    """Chunk boundaries of all streams, in delivery order.

    Row i is stream `keys[stream[i]]`, samples `lo[i]:hi[i]`, due at recording time `due_s[i]`
    (non-decreasing). Rows with stream == -1 are gaps: `gaps[lo[i]]`.
    """

    keys: tuple[str, ...]
    stream: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    due_s: np.ndarray
    gaps: tuple[Gap, ...] = ()

    def __len__(self) -> int:
        return int(self.stream.shape[0])


def grid_schedule(recording: Recording, chunk_s: float, start_s: float) -> Schedule:
    """Cut every stream on a grid of `chunk_s` from the recording's start; order by last sample."""
    keys = tuple(recording.streams)
    t0 = recording.t_start_s
    parts: list[tuple[np.ndarray, ...]] = []
    for idx, key in enumerate(keys):
        ts = recording.streams[key].timestamps
        first = int(np.searchsorted(ts, t0 + start_s, side="left")) if start_s > 0 else 0
        if first >= ts.shape[0]:
            continue
        bins = np.floor((ts[first:] - t0) / chunk_s)
        cuts = np.flatnonzero(np.diff(bins)) + 1 + first
        lo = np.concatenate(([first], cuts)).astype(np.int64)
        hi = np.concatenate((cuts, [ts.shape[0]])).astype(np.int64)
        parts.append((np.full(lo.shape, idx, np.int32), lo, hi, ts[hi - 1]))
    return _ordered(keys, parts)


def log_schedule(recording: Recording, log: ArrivalLog, start_s: float) -> Schedule:
    """Chunks exactly as they arrived live, in the recorded arrival order."""
    keys = tuple(log.keys)
    missing = [k for k in keys if k not in recording.streams]
    if missing:
        raise UsageError(f"arrival log names streams the recording lacks: {', '.join(missing)}")
    m = len(log.stream)
    lo = np.zeros(m, np.int64)
    hi = np.zeros(m, np.int64)
    due = np.full(m, -np.inf)
    t_cut = recording.t_start_s + start_s
    for idx, key in enumerate(keys):
        rows = np.flatnonzero(log.stream == idx)
        ends = np.cumsum(log.n_samples[rows])
        ts = recording.streams[key].timestamps
        ends = np.minimum(ends, ts.shape[0])
        starts = np.concatenate(([0], ends[:-1]))
        if start_s > 0:
            starts = np.maximum(starts, np.searchsorted(ts, t_cut, side="left"))
        lo[rows], hi[rows] = starts, ends
        nonempty = ends > starts
        due[rows[nonempty]] = ts[ends[nonempty] - 1]
    gap_rows = np.flatnonzero(log.stream < 0)
    lo[gap_rows] = np.arange(gap_rows.shape[0])
    gap_due = np.array([g.t_from_s for g in log.gaps], dtype=np.float64)
    due[gap_rows] = gap_due[: gap_rows.shape[0]]
    keep = (hi > lo) | (log.stream < 0)
    if start_s > 0:
        keep &= (log.stream >= 0) | (due >= t_cut)
    order = np.flatnonzero(keep)
    due_sorted = np.maximum.accumulate(due[order]) if order.size else due[order]
    return Schedule(keys, log.stream[order], lo[order], hi[order], due_sorted, tuple(log.gaps))


def _ordered(keys: tuple[str, ...], parts: list[tuple[np.ndarray, ...]]) -> Schedule:
    """Merge per-stream chunk lists by due time (ties: stream order)."""
    if not parts:
        empty_i = np.zeros(0, np.int64)
        return Schedule(keys, np.zeros(0, np.int32), empty_i, empty_i, np.zeros(0))
    stream, lo, hi, due = (np.concatenate(cols) for cols in zip(*parts, strict=True))
    order = np.lexsort((stream, due))
    return Schedule(keys, stream[order], lo[order], hi[order], due[order])


class RecordingSource(Source):
    """Yields a recording's streams as chunks on one virtual clock.

    `speed=None` replays as fast as the consumer takes the chunks (never sleeping); a number
    paces the replay at that multiple of real time against absolute target times. With
    `restamp=True` (paced only) moves timestamps onto the LSL clock, keeping their spacing:
    the virtual clock starts at the LSL time the replay starts and runs `speed` times faster
    than the LSL clock, so sample spacing (and heart rate) stays physiological at any speed.
    At speed 1 a sample is stamped with the LSL time at which it is published. Bad timestamps
    are salvaged first (`salvage_timestamps`; what was done is in `recording.meta`).
    `loop` repeats the recording, shifting timestamps so they keep increasing.
    """

    def __init__(
        self,
        recording: Recording,
        *,
        speed: float | None = None,
        loop: bool = False,
        start_s: float = 0.0,
        chunk_s: float = 0.1,
        restamp: bool = False,
    ) -> None:
        if speed is not None and not speed > 0:
            raise UsageError(
                f"replay speed must be > 0 (got {speed}); omit it to go as fast as possible"
            )
        if restamp and speed is None:
            raise UsageError("restamping onto the LSL clock needs a replay speed")
        if not chunk_s > 0:
            raise UsageError(f"chunk_s must be > 0 (got {chunk_s})")
        if start_s < 0:
            raise UsageError(f"start must be >= 0 s (got {start_s})")
        recording = salvage_timestamps(recording)  # a no-op for one read by `read_recording`
        if not recording.streams or not any(len(s.timestamps) for s in recording.streams.values()):
            raise UsageError("the recording holds no samples")
        if start_s >= recording.duration_s and recording.duration_s > 0:
            raise UsageError(
                f"start {start_s:g} s is past the end of the recording "
                f"({recording.duration_s:.1f} s)"
            )
        self.recording = recording
        self.speed = speed
        self.loop = loop
        self.start_s = start_s
        self.restamp = restamp
        log = recording.meta.get(ARRIVAL_LOG_KEY)
        self.schedule = (
            log_schedule(recording, log, start_s)
            if isinstance(log, ArrivalLog)
            else grid_schedule(recording, chunk_s, start_s)
        )
        self._specs = tuple(s.spec for s in recording.streams.values())
        self._closed = False
        #: virtual-clock anchor: LSL time at which recording time `origin_s` is due (paced only)
        self.anchor_lsl_s: float | None = None
        self.origin_s = recording.t_start_s + start_s

    @property
    def specs(self) -> tuple[StreamSpec, ...]:
        return self._specs

    def target_lsl_s(self, t_s: np.ndarray | float) -> np.ndarray | float:
        """LSL (wall) time at which recording time `t_s` (already shifted by loops) is due."""
        if self.anchor_lsl_s is None or self.speed is None:
            raise UsageError("target times exist only for a paced replay that has started")
        return self.anchor_lsl_s + (t_s - self.origin_s) / self.speed

    def virtual_lsl_s(self, t_s: np.ndarray | float) -> np.ndarray | float:
        """Timestamp that recording time `t_s` gets when restamped (the virtual clock)."""
        if self.anchor_lsl_s is None:
            raise UsageError("the virtual clock exists only once a paced replay has started")
        return self.anchor_lsl_s + (t_s - self.origin_s)

    def _period_s(self) -> float:
        rates = [s.spec.rate_hz for s in self.recording.streams.values() if s.spec.rate_hz > 0]
        return 1.0 / max(rates) if rates else 0.001

    async def events(self) -> AsyncIterator[SourceEvent]:
        sched = self.schedule
        streams = [self.recording.streams[k] for k in sched.keys]
        loop_span_s = self.recording.t_end_s - self.origin_s + self._period_s()
        paced = self.speed is not None
        if paced:
            self.anchor_lsl_s = lsl_now_s() + _LEAD_S
        shift_s = 0.0
        while not self._closed:
            for i in range(len(sched)):
                if self._closed:
                    return
                due = float(sched.due_s[i]) + shift_s
                if paced:
                    delay = float(self.target_lsl_s(due)) - lsl_now_s()
                    if delay > 0:
                        await asyncio.sleep(delay)
                elif i % _YIELD_EVERY == 0:
                    await asyncio.sleep(0)
                idx = int(sched.stream[i])
                if idx < 0:
                    yield self._gap(sched.gaps[int(sched.lo[i])], shift_s)
                    continue
                yield self._chunk(streams[idx], int(sched.lo[i]), int(sched.hi[i]), shift_s)
            if not self.loop:
                return
            shift_s += loop_span_s

    def _chunk(self, stream: RecordedStream, lo: int, hi: int, shift_s: float) -> Chunk:
        ts = stream.timestamps[lo:hi]
        if shift_s:
            ts = ts + shift_s
        if self.restamp:
            ts = np.asarray(self.virtual_lsl_s(ts), dtype=np.float64)
        return Chunk(stream.spec, ts, stream.data[lo:hi])

    def _gap(self, gap: Gap, shift_s: float) -> Gap:
        t_from, t_to = gap.t_from_s + shift_s, gap.t_to_s + shift_s
        if self.restamp:
            t_from, t_to = float(self.virtual_lsl_s(t_from)), float(self.virtual_lsl_s(t_to))
        return Gap(gap.source_id, t_from, t_to, gap.reason)

    async def aclose(self) -> None:
        self._closed = True


async def collect(source: Source) -> Recording:
    """Everything a (finite) source yields, as an in-memory Recording keyed by stream kind."""
    parts: dict[StreamSpec, list[Chunk]] = {spec: [] for spec in source.specs}
    async for event in source.events():
        if isinstance(event, Chunk):
            parts.setdefault(event.spec, []).append(event)
    streams: dict[str, RecordedStream] = {}
    for spec, chunks in parts.items():
        key = unique_key(spec.kind, streams)
        if chunks:
            ts = np.concatenate([c.timestamps for c in chunks])
            data = np.concatenate([c.data for c in chunks])
        else:
            ts = np.zeros(0)
            data = np.zeros((0, spec.n_channels), dtype=object if spec.is_markers else np.float64)
        streams[key] = RecordedStream(spec, ts, data)
    return Recording(streams)
