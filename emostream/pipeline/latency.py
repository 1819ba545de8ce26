"""How long a wearer's windows wait inside the run: from the arrival of the chunk that closed
a window to the end of its processing (features, model, every sink: outlets pushed, the
recorder fed). Kept for the latest windows only, so memory stays flat over a long run."""

from __future__ import annotations

import numpy as np

#: the latest this many windows are kept (an hour at a 1 s hop)
WINDOWS_KEPT = 3600


class WindowLatency:
    """A ring of the latest windows' in-run latencies, in seconds."""

    def __init__(self, kept: int = WINDOWS_KEPT):
        self._ring_s = np.empty(kept)
        self.n = 0

    def add(self, latency_s: float, n_windows: int = 1) -> None:
        """`n_windows` closed by the same chunk, all done `latency_s` after it arrived."""
        for _ in range(n_windows):
            self._ring_s[self.n % self._ring_s.size] = latency_s
            self.n += 1

    @property
    def n_kept(self) -> int:
        return min(self.n, self._ring_s.size)

    def percentiles_ms(self, qs: tuple[float, ...] = (50.0, 99.0)) -> tuple[float, ...] | None:
        """The kept latencies' percentiles in milliseconds (None before the first window)."""
        if not self.n:
            return None
        return tuple(float(v) for v in np.percentile(self._ring_s[: self.n_kept], qs) * 1e3)
