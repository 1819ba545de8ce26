"""Aligned sliding windows across streams, closed on the data's own timestamps.

Window ends lie on a fixed grid (`offset_s` plus multiples of `hop_s` on the stream clock), so
the same data gives the same windows whether it arrives live or in a fast replay. A window
(t_end - length_s, t_end] closes once every stream has delivered data past t_end, or once a
stream lags the newest one by more than `max_lag_s` (it is then reported with low coverage and
a gap flag).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import numpy as np

from emostream.config import FieldError, check_range
from emostream.core.chunk import Chunk, in_order_mask
from emostream.core.ring import RingBuffer
from emostream.core.spec import StreamSpec
from emostream.errors import StreamError

IRREGULAR_CAPACITY = 1 << 14
MARKER_CAPACITY = 1 << 12
#: a gap in a regular stream is a step longer than this many sample periods
GAP_PERIODS = 2.5
#: upper bound of the window length, hop and lags (buffers are sized from them)
MAX_WINDOW_S = 3600.0
#: shortest hop (and window): at most 100 windows a second
MIN_HOP_S = 0.01
#: one stream's ring buffer may not exceed this many bytes
MAX_BUFFER_BYTES = 1 << 30


@dataclass(frozen=True, slots=True)
class WindowConfig:
    length_s: float = 60.0
    hop_s: float = 1.0
    max_lag_s: float = 3.0
    #: gaps longer than this in an irregular stream (RR, HR) count as missing time
    irregular_max_gap_s: float = 3.0
    #: after a silence longer than this many windows, skip ahead instead of emitting empties
    max_catchup_windows: int = 600
    #: window ends lie at offset_s + k·hop_s (0 ≤ offset_s < hop_s)
    offset_s: float = 0.0

    def __post_init__(self) -> None:
        check_range("length_s", self.length_s, MIN_HOP_S, MAX_WINDOW_S)
        check_range("hop_s", self.hop_s, MIN_HOP_S, MAX_WINDOW_S)
        check_range(
            "irregular_max_gap_s", self.irregular_max_gap_s, 0.0, MAX_WINDOW_S, low_open=True
        )
        check_range("max_lag_s", self.max_lag_s, 0.0, MAX_WINDOW_S)
        check_range("max_catchup_windows", self.max_catchup_windows, 1, 1_000_000)
        if not 0.0 <= self.offset_s < self.hop_s:
            raise FieldError(
                "offset_s", f"must be >= 0 and below hop_s ({self.hop_s:g}), got {self.offset_s!r}"
            )


class StreamSlice:
    """The samples of one stream inside a window, plus the part new since the last window.

    A window's full arrays are copied out of the ring buffer only when first read (most
    extractors only read the fresh part); read them before the next `Windower.push`.
    """

    __slots__ = ("_data", "_load", "_timestamps", "fresh_data", "fresh_timestamps", "spec")

    def __init__(
        self,
        spec: StreamSpec,
        timestamps: np.ndarray | None,
        data: np.ndarray | None,
        fresh_timestamps: np.ndarray,
        fresh_data: np.ndarray,
        load: Callable[[], tuple[np.ndarray, np.ndarray]] | None = None,
    ):
        self.spec = spec
        self._timestamps = timestamps
        self._data = data
        self.fresh_timestamps = fresh_timestamps
        self.fresh_data = fresh_data
        self._load = load

    def _ensure(self) -> None:
        if self._timestamps is None:
            assert self._load is not None
            self._timestamps, self._data = self._load()

    @property
    def timestamps(self) -> np.ndarray:
        self._ensure()
        return self._timestamps  # type: ignore[return-value]

    @property
    def data(self) -> np.ndarray:
        self._ensure()
        return self._data  # type: ignore[return-value]


@dataclass(frozen=True, slots=True)
class Window:
    index: int
    t_start: float
    t_end: float
    streams: dict[str, StreamSlice]
    markers: list[tuple[float, str]]
    fresh_markers: list[tuple[float, str]]
    coverage: dict[str, float]
    flags: dict[str, tuple[str, ...]]

    @property
    def length_s(self) -> float:
        return self.t_end - self.t_start


@dataclass(slots=True)
class StreamStats:
    """Counters a stream accumulates; none of these conditions stops the pipeline."""

    n_samples: int = 0
    n_nonfinite: int = 0
    n_out_of_order: int = 0
    n_gaps: int = 0
    n_overrun: int = 0


@dataclass(slots=True)
class _StreamState:
    spec: StreamSpec
    buffer: RingBuffer
    stats: StreamStats = field(default_factory=StreamStats)
    gaps: deque[tuple[float, float]] = field(default_factory=lambda: deque(maxlen=256))
    #: half a sample period of a regular stream (0 for an irregular one); see `_watermark`
    half_period_s: float = field(init=False)

    def __post_init__(self) -> None:
        self.half_period_s = 0.0 if self.spec.is_irregular else 0.5 / self.spec.rate_hz


def _load(buffer: RingBuffer, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    """Copy [lo, hi) out of `buffer`, refusing if it has been overwritten since."""
    if lo < buffer.first_index:
        raise StreamError("window data was overwritten: read a window before the next push")
    return buffer.gather(lo, hi)


def _steps(timestamps: np.ndarray, previous_s: float) -> np.ndarray:
    """Time from each sample's predecessor (the first one's is `previous_s`) to it."""
    steps = np.empty(timestamps.size)
    steps[0] = timestamps[0] - previous_s
    np.subtract(timestamps[1:], timestamps[:-1], out=steps[1:])
    return steps


def stream_key(spec: StreamSpec) -> str:
    """Column-friendly key of a stream: its kind in lower case (ecg, eda, eeg, ...)."""
    return spec.kind.lower()


class Windower:
    """Buffers chunks per stream and emits aligned windows as the data allows."""

    def __init__(self, config: WindowConfig):
        self.config = config
        self._streams: dict[str, _StreamState] = {}
        self._markers: deque[tuple[float, str]] = deque(maxlen=MARKER_CAPACITY)
        self._marker_specs: dict[str, StreamSpec] = {}
        self._late_markers: list[tuple[float, str]] = []
        self._next_end: float | None = None
        self._prev_end: float = -math.inf
        #: samples after this time have not been handed out (fresh in a window or a lead-in)
        self._fresh_from_s: float = -math.inf
        self._index = 0
        self.n_windows_skipped = 0

    # -- input -------------------------------------------------------------------------
    def add_stream(self, spec: StreamSpec, key: str | None = None) -> str:
        key = key or stream_key(spec)
        if spec.is_event_markers:
            self._marker_specs[key] = spec
            return key
        if key in self._streams:
            if self._streams[key].spec != spec:
                raise StreamError(f"two different streams share the key '{key}'")
            return key
        span_s = self.config.length_s + self.config.max_lag_s + 2 * self.config.hop_s + 10.0
        capacity = (
            math.ceil(span_s * spec.rate_hz * 1.25) + 256
            if not spec.is_irregular
            else IRREGULAR_CAPACITY
        )
        dtype: type = np.float32 if spec.channel_format == "float32" else np.float64
        if spec.is_text:
            dtype = object  # utterances: strings, held like any irregular stream
        n_bytes = capacity * spec.n_channels * np.dtype(dtype).itemsize
        if n_bytes > MAX_BUFFER_BYTES:
            raise StreamError(
                f"stream '{spec.name}' ({spec.rate_hz:g} Hz x {spec.n_channels} channels) needs "
                f"{n_bytes / 2**30:.1f} GiB for a {self.config.length_s:g} s window; "
                "use a shorter window or check its sample rate"
            )
        self._streams[key] = _StreamState(spec, RingBuffer(capacity, spec.n_channels, dtype))
        return key

    def stats(self) -> dict[str, StreamStats]:
        return {key: state.stats for key, state in self._streams.items()}

    def mark_gap(self, key: str, t_from_s: float, t_to_s: float) -> None:
        """Record a known gap (e.g. a device reconnect) so windows overlapping it are flagged."""
        state = self._streams.get(key)
        if state is not None:
            state.gaps.append((t_from_s, t_to_s))
            state.stats.n_gaps += 1

    def push(self, chunk: Chunk, key: str | None = None) -> None:
        """Add a chunk. Out-of-order samples are dropped and counted; NaNs are kept and counted."""
        key = key or stream_key(chunk.spec)
        if chunk.spec.is_event_markers:
            if key not in self._marker_specs:
                self.add_stream(chunk.spec, key)
            for marker in chunk.markers():
                self._markers.append(marker)
                if marker[0] <= self._prev_end:  # its window has closed: deliver it with the next
                    self._late_markers.append(marker)
            return
        state = self._streams.get(key) or self._streams[self.add_stream(chunk.spec, key)]
        if chunk.spec.n_channels != state.spec.n_channels:
            raise StreamError(
                f"stream '{key}': chunk has {chunk.spec.n_channels} channels, "
                f"expected {state.spec.n_channels}"
            )
        if not len(chunk):
            return
        ts, data = chunk.timestamps, chunk.data
        newest = state.buffer.newest_s
        steps = _steps(ts, newest)  # the first step is inf for a new stream
        if not steps.min() > 0:  # slow path only for out-of-order samples
            keep = in_order_mask(ts, newest)
            state.stats.n_out_of_order += int(np.count_nonzero(~keep))
            ts, data = ts[keep], data[keep]
            if not ts.size:
                return
            steps = _steps(ts, newest)
        if not state.spec.is_irregular and steps.max() > GAP_PERIODS / state.spec.rate_hz:
            previous = np.concatenate(([newest], ts[:-1]))
            for i in np.flatnonzero(steps > GAP_PERIODS / state.spec.rate_hz):
                if np.isfinite(previous[i]):
                    state.gaps.append((float(previous[i]), float(ts[i])))
                    state.stats.n_gaps += 1
        state.stats.n_nonfinite += state.buffer.write(ts, data)
        state.stats.n_samples += int(ts.size)

    # -- output ------------------------------------------------------------------------
    def _first_end(self) -> float | None:
        firsts = [s.buffer.oldest_s for s in self._streams.values() if s.buffer.n_written]
        if not firsts:
            return None
        return self._grid_end(
            math.ceil(self._grid_index(min(firsts) + self.config.length_s) - 1e-9)
        )

    def _watermark(self) -> float:
        """Time up to which windows may close: every stream has passed it, or the stream
        lags the newest one by more than max_lag_s (a stream with no data yet lags).

        A regular stream has passed a time once its newest sample is within half a period
        of it: its next sample is due at least half a period later. So a window closes with
        the slowest stream's last sample in it, not a period later with the next one.
        """
        newest = [s.buffer.newest_s + s.half_period_s for s in self._streams.values()]
        if not newest or max(newest) == -math.inf:
            return -math.inf
        return max(min(newest), max(newest) - self.config.max_lag_s)

    def pop_ready(self, flush: bool = False) -> list[Window]:
        """Windows whose end the data has passed (all remaining ones when `flush`)."""
        if self._next_end is None:
            self._next_end = self._first_end()
            if self._next_end is None:
                return []
        watermark = self._watermark()
        if flush:
            watermark = max(s.buffer.newest_s for s in self._streams.values())
        hop = self.config.hop_s
        pending = math.floor((watermark - self._next_end) / hop + 1e-9) + 1
        if pending > self.config.max_catchup_windows:
            skip = pending - self.config.max_catchup_windows
            self._next_end += skip * hop
            self._prev_end = self._fresh_from_s = self._next_end - hop
            self.n_windows_skipped += skip
        out: list[Window] = []
        while self._next_end <= watermark + 1e-9:
            out.append(self._build(self._next_end))
            self._prev_end = self._fresh_from_s = self._next_end
            self._index += 1
            self._next_end = self._grid_end(round(self._grid_index(self._next_end)) + 1)
        return out

    def pop_undelivered_markers(self) -> list[tuple[float, str]]:
        """Markers that no window has delivered: those after the last window's end, which no
        window will carry once the stream has ended (the end of its last phase, say)."""
        out = self._late_markers + [m for m in self._markers if m[0] > self._prev_end]
        self._late_markers = []
        self._markers = deque(
            (m for m in self._markers if m[0] <= self._prev_end), maxlen=MARKER_CAPACITY
        )
        return sorted(out)

    def pop_lead_in(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Before the first window closes: each stream's samples up to the last window end
        on the grid that the data has passed, not handed out before (empty otherwise).

        The first window would otherwise hand its extractors its whole length at once. Fed
        a hop at a time as the data arrives, it costs about what a later window costs, and
        the windows' features are the same. Markers are not affected.
        """
        if self._index or self._next_end is None:
            return {}
        hop = self.config.hop_s
        t_until = min(
            self._grid_end(math.floor(self._grid_index(self._watermark()) + 1e-9)),
            self._next_end - hop,
        )
        if not t_until > self._fresh_from_s:
            return {}
        bounds = np.array((self._fresh_from_s, t_until))
        self._fresh_from_s = t_until
        lead_in = {}
        for key, state in self._streams.items():
            lo, hi = state.buffer.indices_at(bounds, side="right").tolist()
            if hi > lo:
                lead_in[key] = state.buffer.gather(lo, hi)
        return lead_in

    def _grid_index(self, t_s: float) -> float:
        """Where `t_s` lies on the grid of window ends, in hops (whole at a window end)."""
        return (t_s - self.config.offset_s) / self.config.hop_s

    def _grid_end(self, index: int) -> float:
        """The window end with this grid index."""
        return index * self.config.hop_s + self.config.offset_s

    def _build(self, t_end: float) -> Window:
        t_start = t_end - self.config.length_s
        streams: dict[str, StreamSlice] = {}
        coverage: dict[str, float] = {}
        flags: dict[str, tuple[str, ...]] = {}
        # window start, end of what was handed out (fresh samples begin after it), window end
        bounds = np.array((t_start, self._fresh_from_s, t_end))
        for key, state in self._streams.items():
            buf = state.buffer
            if buf.n_written and buf.oldest_s > t_start and buf.first_index > 0:
                state.stats.n_overrun += 1
            lo, fresh_lo, hi = buf.indices_at(bounds, side="right").tolist()
            fresh_ts, fresh_data = buf.gather(fresh_lo, hi)
            part = StreamSlice(
                state.spec, None, None, fresh_ts, fresh_data, load=partial(_load, buf, lo, hi)
            )
            streams[key] = part
            n_bad = buf.n_nonfinite(lo, hi)
            if state.spec.is_irregular:
                ts, data = part.timestamps, part.data
                finite_ts = ts[np.isfinite(data).all(axis=1)] if n_bad else ts
                coverage[key] = self._irregular_coverage(finite_ts, t_start, t_end)
            else:
                n_expected = (t_end - t_start) * state.spec.rate_hz
                coverage[key] = float(min(1.0, (hi - lo - n_bad) / n_expected))
            window_flags = []
            if any(a < t_end and b > t_start for a, b in state.gaps):
                window_flags.append("gap")
            if n_bad:
                window_flags.append("nonfinite")
            if coverage[key] == 0.0:
                window_flags.append("missing")
            flags[key] = tuple(window_flags)
        markers = [(t, m) for t, m in self._markers if t_start < t <= t_end]
        # every marker is fresh in exactly one window: the first to close after it arrived
        fresh_markers = self._late_markers + [
            (t, m) for t, m in self._markers if self._prev_end < t <= t_end
        ]
        self._late_markers = []
        return Window(self._index, t_start, t_end, streams, markers, fresh_markers, coverage, flags)

    def _irregular_coverage(self, ts: np.ndarray, t_start: float, t_end: float) -> float:
        """Fraction of the window not inside gaps longer than irregular_max_gap_s."""
        if not ts.size:
            return 0.0
        steps = np.diff(np.concatenate(([t_start], ts, [t_end])))
        missing = np.sum(steps[steps > self.config.irregular_max_gap_s])
        return float(max(0.0, 1.0 - missing / (t_end - t_start)))
