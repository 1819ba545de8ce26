"""Preallocated ring buffer of timestamped samples, addressed by a monotonically growing index.

The buffer never reallocates: a write copies into at most two slices of fixed arrays. Every
sample gets an absolute index (`n_written` counts them all); a reader that asks for indices
that have already been overwritten gets what is left and is told how many it lost. A running
count of rows holding NaN/inf gives the number of such rows in any range in O(1).
"""

from __future__ import annotations

from dataclasses import dataclass

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
        self._ts = np.empty(self.capacity, dtype=np.float64)
        self._data = np.empty((self.capacity, n_channels), dtype=dtype)
        #: number of non-finite rows written up to and including each row
        self._nonfinite_cum = np.zeros(self.capacity, dtype=np.int64)
        self._nonfinite_total = 0
        self.n_written = 0

    def __len__(self) -> int:
        return min(self.n_written, self.capacity)

    @property
    def first_index(self) -> int:
        """Absolute index of the oldest sample still held."""
        return self.n_written - len(self)

    @property
    def newest_s(self) -> float:
        return float(self._ts[(self.n_written - 1) % self.capacity]) if self.n_written else -np.inf

    @property
    def oldest_s(self) -> float:
        return float(self._ts[self.first_index % self.capacity]) if self.n_written else np.inf

    def write(self, timestamps: np.ndarray, data: np.ndarray) -> None:
        """Append rows; if more rows than capacity arrive, only the newest are kept."""
        n = timestamps.shape[0]
        if n == 0:
            return
        if n > self.capacity:
            skipped = n - self.capacity
            self.n_written += skipped
            timestamps, data, n = timestamps[skipped:], data[skipped:], self.capacity
        bad = ~np.isfinite(data).all(axis=1) if data.dtype.kind == "f" else np.zeros(n, bool)
        cum = self._nonfinite_total + np.cumsum(bad)
        self._nonfinite_total = int(cum[-1])
        start = self.n_written % self.capacity
        first = min(n, self.capacity - start)
        self._ts[start : start + first] = timestamps[:first]
        self._data[start : start + first] = data[:first]
        self._nonfinite_cum[start : start + first] = cum[:first]
        if first < n:
            self._ts[: n - first] = timestamps[first:]
            self._data[: n - first] = data[first:]
            self._nonfinite_cum[: n - first] = cum[first:]
        self.n_written += n

    def gather(self, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        """Copy absolute indices [lo, hi) (already clipped to what is held)."""
        if hi <= lo:
            return self._ts[:0].copy(), self._data[:0].copy()
        a, b = lo % self.capacity, hi % self.capacity
        if a < b or b == 0:
            end = b if b else self.capacity
            return self._ts[a:end].copy(), self._data[a:end].copy()
        return (
            np.concatenate((self._ts[a:], self._ts[:b])),
            np.concatenate((self._data[a:], self._data[:b])),
        )

    def read_from(self, index: int) -> ReadResult:
        """Everything from absolute `index` to the newest sample."""
        lo = max(index, self.first_index)
        ts, data = self.gather(lo, self.n_written)
        return ReadResult(ts, data, self.n_written, lo - index if index < lo else 0)

    def index_at(self, t_s: float, side: str = "left") -> int:
        """Absolute index of the first held sample with timestamp >= t_s (side='left')
        or > t_s (side='right')."""
        held = len(self)
        if not held:
            return self.n_written
        start = self.first_index % self.capacity
        tail = min(held, self.capacity - start)  # samples from start to the array's end
        pos = np.searchsorted(self._ts[start : start + tail], t_s, side=side)
        if pos < tail or tail == held:
            return self.first_index + int(pos)
        pos2 = np.searchsorted(self._ts[: held - tail], t_s, side=side)
        return self.first_index + tail + int(pos2)

    def n_nonfinite(self, lo: int, hi: int) -> int:
        """Rows with NaN/inf among absolute indices [lo, hi) (clipped to what is held)."""
        lo = max(lo, self.first_index)
        if hi <= lo:
            return 0
        before = 0 if lo == 0 else int(self._nonfinite_cum[(lo - 1) % self.capacity])
        if lo > 0 and lo - 1 < self.first_index:  # the row before lo was overwritten
            row = self._data[lo % self.capacity]
            before = int(self._nonfinite_cum[lo % self.capacity]) - int(not np.isfinite(row).all())
        return int(self._nonfinite_cum[(hi - 1) % self.capacity]) - before

    def between(self, t_start_s: float, t_end_s: float) -> tuple[np.ndarray, np.ndarray]:
        """Copies of the samples with t_start_s < t <= t_end_s."""
        lo = self.index_at(t_start_s, side="right")
        hi = self.index_at(t_end_s, side="right")
        return self.gather(lo, hi)
