"""Mean and SD of each column over a sliding window, updated by the rows that enter and
leave it: O(hop) work per window instead of O(window).

The sums are kept around a shift (each column's mean when they were last rebuilt), so the
variance `E[(x-c)^2] - E[x-c]^2` does not cancel; they are rebuilt from the window's rows once
`rebuild_after_rows` rows have been added or removed, so rounding never builds up over hours.
"""

from __future__ import annotations

import numpy as np

#: rows added or removed between two rebuilds from the window's rows
REBUILD_AFTER_ROWS = 8192


class SlidingMoments:
    """Count, mean and population SD of `n_columns` columns over the rows currently held."""

    def __init__(self, n_columns: int, rebuild_after_rows: int = REBUILD_AFTER_ROWS):
        self.n_columns = n_columns
        self.rebuild_after_rows = rebuild_after_rows
        self.rebuild(np.zeros((0, n_columns)))

    def rebuild(self, rows: np.ndarray) -> None:
        """Hold exactly `rows` (n, n_columns), summed afresh."""
        self.n = int(rows.shape[0])
        self._shift = rows.mean(axis=0) if self.n else np.zeros(self.n_columns)
        deviations = rows - self._shift
        self._sum = deviations.sum(axis=0)
        self._sum_sq = np.einsum("ij,ij->j", deviations, deviations)
        self._changed = 0

    @property
    def stale(self) -> bool:
        """Whether enough rows came and went that the sums should be rebuilt."""
        return self._changed >= self.rebuild_after_rows

    def add(self, rows: np.ndarray) -> None:
        """Rows entering the window."""
        self._update(rows, 1)

    def remove(self, rows: np.ndarray) -> None:
        """Rows leaving the window (each must have been added or rebuilt before)."""
        self._update(rows, -1)

    def _update(self, rows: np.ndarray, sign: int) -> None:
        if rows.shape[0]:
            deviations = rows - self._shift
            self._sum += sign * deviations.sum(axis=0)
            self._sum_sq += sign * np.einsum("ij,ij->j", deviations, deviations)
            self.n += sign * rows.shape[0]
            self._changed += rows.shape[0]

    def mean(self) -> np.ndarray:
        """Each column's mean over the rows held (n >= 1)."""
        return self._shift + self._sum / self.n

    def sd(self) -> np.ndarray:
        """Each column's population SD (ddof 0) over the rows held (n >= 1)."""
        offset = self._sum / self.n
        return np.sqrt(np.maximum(self._sum_sq / self.n - offset * offset, 0.0))
