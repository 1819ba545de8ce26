"""Causal streaming building blocks: each keeps its state so that feeding a signal in any
chunking gives exactly the output of feeding it at once (sequential arithmetic, no lookahead).
"""

from __future__ import annotations

import numpy as np

from emostream.core.ring import RingBuffer
from emostream.errors import StreamError
from emostream.features import iir, kernels
from emostream.features.base import MAX_HISTORY_S

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
    return iir.butter_sos(order, wn, btype)


class SosFilter:
    """IIR filter given as second-order sections, with carried state, started from the first
    sample's steady state.

    Runs as one transfer function (one compiled loop per chunk) when that form reproduces the
    sections' impulse response to 1e-9 of its peak, which holds for the low orders and cutoffs
    used here; otherwise section by section.
    """

    def __init__(self, sos: np.ndarray | None):
        self.sos = sos
        self._stages: list[tuple[np.ndarray, np.ndarray]] = []
        self._unit_zi: list[np.ndarray] = []  # each stage's state for a constant input of 1
        if sos is not None:
            sections = [(s[:3].copy(), s[3:].copy()) for s in sos]
            b, a = iir.sos_to_tf(sos)
            impulse = np.zeros(IMPULSE_CHECK_N)
            impulse[0] = 1.0
            want = impulse
            for b_s, a_s in sections:
                want = kernels.lfilter(b_s, a_s, want, np.zeros(2))
            error = np.max(np.abs(kernels.lfilter(b, a, impulse, np.zeros(b.size - 1)) - want))
            if error <= 1e-9 * np.max(np.abs(want)):
                self._stages, self._unit_zi = [(b, a)], [iir.lfilter_zi(b, a)]
            else:
                self._stages, self._unit_zi = sections, list(iir.sosfilt_zi(sos))
        self._zi: list[np.ndarray] | None = None

    def __call__(self, x: np.ndarray) -> np.ndarray:
        if not self._stages or not x.size:
            return x
        x = np.ascontiguousarray(x, dtype=np.float64)
        if self._zi is None:
            self._zi = [zi * x[0] for zi in self._unit_zi]
        for (b, a), zi in zip(self._stages, self._zi, strict=True):
            x = kernels.lfilter(b, a, x, zi)
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


def history(
    rate_hz: float, n_channels: int, span_s: float = MAX_HISTORY_S, events_per_s: float = 4.0
) -> RingBuffer:
    """A ring buffer holding `span_s` of a stream (or of irregular events)."""
    per_s = rate_hz if rate_hz > 0 else events_per_s
    return RingBuffer(int(span_s * per_s * 1.1) + 64, n_channels)
