"""Preallocated buffer of the newest timestamped samples, addressed by a growing index.

Rows live contiguously in storage of twice the capacity: writes append, and when the end of
the storage is reached the rows still held move to its front (amortised O(1) per row). Any held
range is therefore one slice, so finding and copying a window costs one `searchsorted` and one
copy. Every sample gets an absolute index (`n_written` counts them all); a reader that asks for
indices that have already been dropped gets what is left and is told how many it lost. A
running count of rows holding NaN/inf gives the number of such rows in any range in O(1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from emostream.errors import StreamError


@dataclass(frozen=True, slots=True)
class ReadResult:
    timestamps: np.ndarray
    data: np.ndarray
    next_index: int
    n_dropped: int


class RingBuffer:
    """Fixed-capacity buffer of (timestamp, samples) rows in time order."""

    def __init__(self, capacity: int, n_channels: int, dtype: np.dtype | type = np.float64):
        if capacity <= 0 or n_channels <= 0:
            raise StreamError("ring buffer needs a positive capacity and channel count")
        self.capacity = int(capacity)
        size = 2 * self.capacity
        self._ts = np.empty(size, dtype=np.float64)
        self._data = np.empty((size, n_channels), dtype=dtype)
        #: number of non-finite rows written before each row
        self._nonfinite_before = np.zeros(size, dtype=np.int64)
        self._nonfinite_total = 0
        self._start = 0  # storage position of the oldest held row
        self._held = 0
        self.n_written = 0

    def __len__(self) -> int:
        return self._held

    @property
    def first_index(self) -> int:
        """Absolute index of the oldest sample still held."""
        return self.n_written - self._held

    @property
    def newest_s(self) -> float:
        return float(self._ts[self._start + self._held - 1]) if self._held else -np.inf

    @property
    def oldest_s(self) -> float:
        return float(self._ts[self._start]) if self._held else np.inf

    def timestamps_held(self) -> np.ndarray:
        """View of the held timestamps, oldest first (valid until the next write)."""
        return self._ts[self._start : self._start + self._held]

    def write(self, timestamps: np.ndarray, data: np.ndarray) -> int:
        """Append rows (only the newest `capacity` are kept); return how many hold NaN/inf."""
        n = timestamps.shape[0]
        if n == 0:
            return 0
        if n > self.capacity:
            skipped = n - self.capacity
            self.n_written += skipped
            self._held = 0
            timestamps, data, n = timestamps[skipped:], data[skipped:], self.capacity
        finite = data.dtype.kind != "f" or bool(np.isfinite(data).all())
        keep = min(self._held, self.capacity - n)  # older rows still held after this write
        end = self._start + self._held
        if end + n > self._ts.shape[0]:  # move the rows kept to the front (never overlapping)
            old = slice(end - keep, end)
            self._ts[:keep] = self._ts[old]
            self._data[:keep] = self._data[old]
            self._nonfinite_before[:keep] = self._nonfinite_before[old]
            end = keep
        self._ts[end : end + n] = timestamps
        self._data[end : end + n] = data
        if finite:
            self._nonfinite_before[end : end + n] = self._nonfinite_total
            n_bad = 0
        else:
            bad = ~np.isfinite(data).all(axis=1)
            cum = np.cumsum(bad)
            self._nonfinite_before[end : end + n] = self._nonfinite_total + cum - bad
            n_bad = int(cum[-1])
        self._start, self._held = end - keep, keep + n
        self._nonfinite_total += n_bad
        self.n_written += n
        return n_bad

    def gather(self, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        """Copy absolute indices [lo, hi) (already clipped to what is held)."""
        a = self._start + max(lo - self.first_index, 0)
        b = max(self._start + hi - self.first_index, a)
        return self._ts[a:b].copy(), self._data[a:b].copy()

    def read_from(self, index: int) -> ReadResult:
        """Everything from absolute `index` to the newest sample."""
        lo = max(index, self.first_index)
        ts, data = self.gather(lo, self.n_written)
        return ReadResult(ts, data, self.n_written, lo - index if index < lo else 0)

    def index_at(self, t_s: float, side: Literal["left", "right"] = "left") -> int:
        """Absolute index of the first held sample with timestamp >= t_s (side='left')
        or > t_s (side='right')."""
        return self.first_index + int(self.timestamps_held().searchsorted(t_s, side=side))

    def indices_at(
        self, times_s: np.ndarray, side: Literal["left", "right"] = "left"
    ) -> np.ndarray:
        """`index_at` for several times in one search."""
        return self.first_index + self.timestamps_held().searchsorted(times_s, side=side)

    def n_nonfinite(self, lo: int, hi: int) -> int:
        """Rows with NaN/inf among absolute indices [lo, hi) (clipped to what is held)."""
        first = self.first_index
        lo, hi = max(lo, first), min(hi, self.n_written)
        if hi <= lo:
            return 0
        before_hi = (
            self._nonfinite_total
            if hi == self.n_written
            else int(self._nonfinite_before[self._start + hi - first])
        )
        return before_hi - int(self._nonfinite_before[self._start + lo - first])

    def view_between(self, t_start_s: float, t_end_s: float) -> tuple[np.ndarray, np.ndarray]:
        """Views of the samples with t_start_s < t <= t_end_s (valid until the next write)."""
        a, b = self.timestamps_held().searchsorted((t_start_s, t_end_s), side="right")
        a, b = self._start + int(a), self._start + int(b)
        return self._ts[a:b], self._data[a:b]

    def between(self, t_start_s: float, t_end_s: float) -> tuple[np.ndarray, np.ndarray]:
        """Copies of the samples with t_start_s < t <= t_end_s."""
        ts, data = self.view_between(t_start_s, t_end_s)
        return ts.copy(), data.copy()
