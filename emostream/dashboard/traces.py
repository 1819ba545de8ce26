"""Bounded, decimated traces for display: the newest points of a signal, read as deltas.

Pure data structure (no I/O, no locks): the sink that owns traces guards them. Each trace keeps
at most `capacity` (t, value) points, thinned to at most one point per `min_step_s` of data
time, and numbers every point it ever kept, so a reader asks for "everything since point n"
and gets only what is new (or what is still held, when it fell behind).
"""

from __future__ import annotations

import math

import numpy as np

from emostream.core.ring import RingBuffer


class Trace:
    """The newest `capacity` points of one signal, at most one per `min_step_s` of data time."""

    def __init__(self, capacity: int, min_step_s: float = 0.0):
        self._ring = RingBuffer(capacity, 1, np.float64)
        self.min_step_s = min_step_s
        self._last_slot = -math.inf

    @property
    def n_written(self) -> int:
        return self._ring.n_written

    def extend(self, t_s: np.ndarray, values: np.ndarray) -> None:
        """Append samples in time order, keeping one per `min_step_s` (the first of each step)."""
        if not len(t_s):
            return
        if self.min_step_s > 0:
            slot = np.floor(t_s / self.min_step_s)
            keep = np.empty(len(slot), dtype=bool)
            keep[0] = slot[0] > self._last_slot
            keep[1:] = slot[1:] > slot[:-1]
            t_s, values = t_s[keep], values[keep]
            if not len(t_s):
                return
        self._ring.write(t_s, values.reshape(-1, 1))
        if self.min_step_s > 0:
            self._last_slot = math.floor(float(t_s[-1]) / self.min_step_s)

    def append(self, t_s: float, value: float) -> None:
        self.extend(np.array([t_s]), np.array([value]))

    def since(self, index: int, until: int | None = None) -> tuple[list[float], list[float]]:
        """Points numbered [index, until) that are still held, as plain lists (for JSON)."""
        hi = self._ring.n_written if until is None else min(until, self._ring.n_written)
        lo = max(index, self._ring.first_index)
        if lo >= hi:
            return [], []
        t_s, data = self._ring.gather(lo, hi)
        values = data[:, 0]
        return t_s.round(3).tolist(), [v if math.isfinite(v) else None for v in values.tolist()]
