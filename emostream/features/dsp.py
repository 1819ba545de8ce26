"""Causal streaming building blocks: each keeps its state so that feeding a signal in any
chunking gives exactly the output of feeding it at once (sequential arithmetic, no lookahead).
"""

from __future__ import annotations

import numpy as np
from scipy import signal

from emostream.core.ring import RingBuffer

#: longest window an extractor keeps history for; windows beyond this lose their oldest part
MAX_HISTORY_S = 600.0


def butter_sos(order: int, cutoff_hz: float | tuple[float, float], fs_hz: float, btype: str):
    """Butterworth second-order sections, or None when the cutoff is at/above Nyquist."""
    nyquist = fs_hz / 2.0
    cutoffs = np.atleast_1d(np.asarray(cutoff_hz, dtype=float))
    if btype == "bandpass" and cutoffs[1] >= nyquist:
        btype, cutoffs = "highpass", cutoffs[:1]
    if btype == "lowpass" and cutoffs[0] >= nyquist:
        return None
    wn = cutoffs / nyquist
    return signal.butter(order, wn if wn.size > 1 else wn[0], btype=btype, output="sos")


class SosFilter:
    """Second-order sections with carried state, started from the first sample's steady state.

    Runs the sections as a cascade of `lfilter` biquads (the same transposed direct form II
    arithmetic as `sosfilt`), which costs far less per call on the small chunks of a live
    stream than `sosfilt`'s wrapper.
    """

    def __init__(self, sos: np.ndarray | None):
        self.sos = sos
        self._zi: np.ndarray | None = None

    def __call__(self, x: np.ndarray) -> np.ndarray:
        if self.sos is None or not x.size:
            return x
        if self._zi is None:
            self._zi = signal.sosfilt_zi(self.sos) * x[0]
        for i, section in enumerate(self.sos):
            x, self._zi[i] = signal.lfilter(section[:3], section[3:], x, zi=self._zi[i])
        return x

    def reset(self) -> None:
        self._zi = None


class FirFilter:
    """FIR filter with the last inputs carried over (zeros before the start)."""

    def __init__(self, taps: np.ndarray):
        self.taps = np.asarray(taps, dtype=float)
        self._tail = np.zeros(self.taps.size - 1)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        if not x.size:
            return x
        full = np.concatenate((self._tail, x))
        self._tail = full[full.size - self._tail.size :]
        return np.convolve(full, self.taps, mode="valid")

    def reset(self) -> None:
        self._tail[:] = 0.0


class MovingAverage:
    """Causal mean of the last `k` samples via a running cumulative sum (zeros before start)."""

    def __init__(self, k: int):
        self.k = max(1, int(k))
        self._tail = np.zeros(self.k)
        self._total = 0.0

    def __call__(self, x: np.ndarray) -> np.ndarray:
        if not x.size:
            return x
        c = np.cumsum(np.concatenate(([self._total], x)))
        full = np.concatenate((self._tail, c[1:]))
        out = (full[self.k :] - full[: -self.k]) / self.k
        self._tail = full[-self.k :]
        self._total = float(c[-1])
        return out

    def reset(self) -> None:
        self._tail[:] = 0.0
        self._total = 0.0


class Delay:
    """Output the input delayed by `n` samples (zeros first)."""

    def __init__(self, n: int):
        self.n = int(n)
        self._tail = np.zeros(self.n)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        if not self.n:
            return x
        full = np.concatenate((self._tail, x))
        self._tail = full[full.size - self.n :]
        return full[: x.size]

    def reset(self) -> None:
        self._tail[:] = 0.0


def hold_nonfinite(x: np.ndarray, last: float) -> tuple[np.ndarray, float]:
    """Replace NaN/inf by the previous finite value (filters must never see them)."""
    bad = ~np.isfinite(x)
    if bad.any():
        x = x.copy()
        idx = np.where(~bad, np.arange(x.size), -1)
        np.maximum.accumulate(idx, out=idx)
        x = np.where(idx >= 0, x[np.maximum(idx, 0)], last)
    return x, float(x[-1]) if x.size else last


def history(rate_hz: float, n_channels: int, events_per_s: float = 4.0) -> RingBuffer:
    """A ring buffer holding MAX_HISTORY_S of a stream (or of irregular events)."""
    per_s = rate_hz if rate_hz > 0 else events_per_s
    return RingBuffer(int(MAX_HISTORY_S * per_s * 1.1) + 64, n_channels)
