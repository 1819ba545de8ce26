"""Causal streaming building blocks: each keeps its state so that feeding a signal in any
chunking gives exactly the output of feeding it at once (sequential arithmetic, no lookahead).
"""

from __future__ import annotations

import numpy as np
from scipy import signal

from emostream.core.ring import RingBuffer
from emostream.errors import StreamError

#: longest window an extractor keeps history for; windows beyond this lose their oldest part
MAX_HISTORY_S = 600.0
#: impulse-response length checked before running sections as one transfer function
IMPULSE_CHECK_N = 8192


def butter_sos(order: int, cutoff_hz: float | tuple[float, float], fs_hz: float, btype: str):
    """Butterworth second-order sections, or None when the cutoff is at/above Nyquist."""
    nyquist = fs_hz / 2.0
    cutoffs = np.atleast_1d(np.asarray(cutoff_hz, dtype=float))
    if btype == "bandpass" and cutoffs[1] >= nyquist:
        btype, cutoffs = "highpass", cutoffs[:1]
    if btype == "lowpass" and cutoffs[0] >= nyquist:
        return None
    wn = cutoffs / nyquist
    if not (np.all(wn > 0) and np.all(wn < 1)):
        raise StreamError(
            f"a sampling rate of {fs_hz:g} Hz is too low for a {btype} filter at "
            f"{', '.join(f'{c:g}' for c in cutoffs)} Hz"
        )
    return signal.butter(order, wn if wn.size > 1 else wn[0], btype=btype, output="sos")


class SosFilter:
    """IIR filter given as second-order sections, with carried state, started from the first
    sample's steady state.

    Runs as one transfer function (`lfilter`, one call per chunk) when that form reproduces the
    sections' impulse response to 1e-9 of its peak, which holds for the low orders and cutoffs
    used here; otherwise section by section. Per call on the small chunks of a live stream,
    either is far cheaper than `sosfilt`'s wrapper.
    """

    def __init__(self, sos: np.ndarray | None):
        self.sos = sos
        self._stages: list[tuple[np.ndarray, np.ndarray]] = []
        if sos is not None:
            b, a = signal.sos2tf(sos)
            impulse = np.zeros(IMPULSE_CHECK_N)
            impulse[0] = 1.0
            want = signal.sosfilt(sos, impulse)
            error = np.max(np.abs(signal.lfilter(b, a, impulse) - want))
            exact = error <= 1e-9 * np.max(np.abs(want))
            self._stages = [(b, a)] if exact else [(s[:3], s[3:]) for s in sos]
        self._zi: list[np.ndarray] | None = None

    def __call__(self, x: np.ndarray) -> np.ndarray:
        if not self._stages or not x.size:
            return x
        if self._zi is None:
            if len(self._stages) == 1:
                self._zi = [signal.lfilter_zi(*self._stages[0]) * x[0]]
            else:
                self._zi = list(signal.sosfilt_zi(self.sos) * x[0])
        for i, (b, a) in enumerate(self._stages):
            x, self._zi[i] = signal.lfilter(b, a, x, zi=self._zi[i])
        return x

    def reset(self) -> None:
        self._zi = None


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
