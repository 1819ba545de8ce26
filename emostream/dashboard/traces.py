"""Bounded, decimated traces for display: the newest points of a signal, read as deltas.

Pure data structure (no I/O, no locks): the sink that owns traces guards them. Each trace keeps
at most `capacity` (t, value) points, thinned to the smallest and largest sample of each
`min_step_s` slot of data time, and numbers every point it ever kept, so a reader asks for "everything since point
n" and gets only what is new (or what is still held, when it fell behind).

Points are written one at a time into preallocated arrays at a write index (a display trace
keeps about one point per chunk, where `core.ring.RingBuffer`'s block writes would cost more
than the point itself).
"""

from __future__ import annotations

import math

import numpy as np


class Trace:
    """The newest `capacity` points of one signal, at most two per `min_step_s` of data time."""

    def __init__(self, capacity: int, min_step_s: float = 0.0):
        self.capacity = capacity
        self.min_step_s = min_step_s
        self._t = np.empty(capacity, dtype=np.float64)
        self._v = np.empty(capacity, dtype=np.float64)
        self.n_written = 0

    def append(self, t_s: float, value: float) -> None:
        k = self.n_written % self.capacity
        self._t[k] = t_s
        self._v[k] = value
        self.n_written += 1

    def extend(self, t_s: np.ndarray, data: np.ndarray, column: int = 0) -> None:
        """Append the samples of `data[:, column]` at times `t_s` (in order). With a
        `min_step_s`, each slot of data time keeps its smallest and largest sample, in time
        order (drawn as a line, that is the signal's envelope: R peaks and dropouts stay
        visible); a slot split across chunks keeps both of each part."""
        n = len(t_s)
        if not n:
            return
        values = data[:, column]
        step = self.min_step_s
        if step <= 0:
            for i in range(n):
                self.append(float(t_s[i]), float(values[i]))
            return
        slots = np.floor(t_s / step)
        starts = np.flatnonzero(np.r_[True, slots[1:] != slots[:-1]]).tolist()
        for lo, hi in zip(starts, [*starts[1:], n], strict=True):
            part = values[lo:hi]
            i, j = lo + int(np.argmin(part)), lo + int(np.argmax(part))
            for k in sorted({i, j}):
                self.append(float(t_s[k]), float(values[k]))

    def since(self, index: int, until: int | None = None) -> tuple[list[float], list[float | None]]:
        """Points numbered [index, until) that are still held, as plain lists (for JSON)."""
        hi = self.n_written if until is None else min(until, self.n_written)
        lo = max(index, self.n_written - self.capacity, 0)
        if lo >= hi:
            return [], []
        k = np.arange(lo, hi) % self.capacity
        values = self._v[k].tolist()
        return self._t[k].round(3).tolist(), [v if math.isfinite(v) else None for v in values]
