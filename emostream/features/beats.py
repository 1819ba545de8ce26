"""Causal, incremental heartbeat detection: R-peaks from ECG, systolic peaks from PPG/BVP.

Both follow the block method of NeuroKit2's defaults, made causal with a fixed latency:
a short moving average of a beat-energy signal is compared with a longer one, each run of
samples above threshold is a candidate block, and the beat is the most prominent maximum of the
cleaned signal in the block.

- ECG (NeuroKit2 `ecg_peaks`, method "neurokit"): 0.5 Hz high-pass, power-line moving
  average, energy = |gradient|, 0.1 s vs 0.75 s averages (threshold x1.5), blocks shorter than
  0.4x the mean block are dropped, the peak is the R-wave maximum of the cleaned signal.
- PPG (Elgendi 2013, NeuroKit2 `ppg_findpeaks`): 0.5–8 Hz band-pass, energy = clipped square,
  0.111 s vs 0.667 s averages plus an offset of 0.02x the mean energy, blocks >= 0.111 s.

The centred averages of the batch method become causal ones compared after a delay, so each
sample is processed once and the result does not depend on how the stream is chunked.
"""

from __future__ import annotations

import numpy as np

from emostream.errors import StreamError
from emostream.features import kernels
from emostream.features.dsp import SosFilter, butter_sos, hold_nonfinite

#: beats closer than this are one beat (NeuroKit2 `mindelay`)
MIN_BEAT_GAP_S = 0.3
#: how much cleaned signal is kept to look up peaks in finished blocks
HISTORY_S = 4.0
#: ECG baseline (wander) removal: centred moving average of this length
BASELINE_S = 0.6
#: beat template: +-this around the peak, updated as an exponential average
TEMPLATE_HALF_S = 0.2
TEMPLATE_ALPHA = 0.1
#: slowest rate each detector's filters and peak windows work at
MIN_RATE_HZ = {"ECG": 50.0, "PPG": 16.0}
_EMPTY = np.zeros(0)
_EMPTY.flags.writeable = False


class BeatDetector:
    """Stateful detector; `update(ts, x)` returns the timestamps of beats confirmed so far."""

    kind: str

    def __init__(self, fs_hz: float):
        self.fs_hz = float(fs_hz)
        self._hist_n = int(HISTORY_S * fs_hz) + 8
        self.reset()

    # -- per-kind front end --------------------------------------------------------------
    def _front(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return (cleaned signal, block flags); flags[i] is about cleaned index i - self.lag."""
        raise NotImplementedError

    lag: int  # samples between a cleaned sample and the block flag about it
    warmup: int  # blocks starting earlier lie in the averages' start-up transient
    clean_delay: int  # samples by which the cleaned signal trails the raw one

    def _accept(self, length: int) -> bool:
        raise NotImplementedError

    # -- shared back end -----------------------------------------------------------------
    def reset(self) -> None:
        self._n = 0  # samples consumed
        self._last_x = 0.0
        self._ts = np.zeros(0)
        self._clean = np.zeros(0)
        self._in_block = False
        self._block_start = 0
        self._last_peak = -(10**12)
        self._half = int(TEMPLATE_HALF_S * self.fs_hz)
        self._template = np.zeros(2 * self._half + 1)  # all zeros: no beat seen yet
        self._reset_front()

    def _reset_front(self) -> None:
        raise NotImplementedError

    def update(self, timestamps: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Consume samples; return the newly confirmed beats' (timestamps, template correlations)."""
        if not x.size:
            return _EMPTY, _EMPTY
        x, self._last_x = hold_nonfinite(np.ascontiguousarray(x, dtype=float), self._last_x)
        clean, flags = self._front(x)
        n0 = self._n
        self._n += x.size
        self._ts = np.concatenate((self._ts, timestamps))
        self._clean = np.concatenate((self._clean, clean))
        # flags[i] refers to cleaned sample n0 + i - lag
        peaks: list[int] = []
        for e in kernels.transitions(flags, self._in_block).tolist():
            idx = n0 + e - self.lag  # first cleaned index with the new state
            if not self._in_block:
                self._block_start = idx
                self._in_block = True
            else:
                self._in_block = False
                peak = self._close_block(self._block_start, idx)
                if peak is not None:
                    peaks.append(peak)
        if peaks:
            first_held = self._n - self._ts.size
            idx = [p - first_held for p in peaks]
            beat_ts = self._ts[[max(i - self.clean_delay, 0) for i in idx]]
            corr = np.array([self._template_corr(i) for i in idx])
        else:
            beat_ts = corr = _EMPTY
        self._ts = self._ts[-self._hist_n :]
        self._clean = self._clean[-self._hist_n :]
        return beat_ts, corr

    def _template_corr(self, i: int) -> float:
        """Correlation of the beat around held index `i` with the running beat template."""
        half = self._half
        seg = self._clean[max(i - half, 0) : i + half + 1]
        if seg.size != 2 * half + 1:
            return 0.0
        return kernels.template_correlation(seg, self._template, TEMPLATE_ALPHA)

    def flush(self) -> tuple[np.ndarray, np.ndarray]:
        """End of stream: push the last value through the delays so pending beats come out."""
        if not self._ts.size:
            return _EMPTY, _EMPTY
        n_pad = self.lag + self.clean_delay + 2
        ts = self._ts[-1] + np.arange(1, n_pad + 1) / self.fs_hz
        return self.update(ts, np.full(n_pad, self._last_x))

    def _close_block(self, beg: int, end: int) -> int | None:
        if not self._accept(end - beg) or beg < self.warmup:
            return None
        first_held = self._n - self._clean.size
        lo, hi = max(beg - first_held, 0), end - first_held
        if hi <= lo:
            return None
        local_max = kernels.most_prominent_peak(self._clean[lo:hi])
        if local_max < 0:
            return None
        peak = first_held + lo + local_max
        if peak - self._last_peak <= MIN_BEAT_GAP_S * self.fs_hz:
            return None
        self._last_peak = peak
        return peak


class EcgDetector(BeatDetector):
    """R-peaks at the R-wave maximum (NeuroKit2 method, causal)."""

    kind = "ECG"

    def _reset_front(self) -> None:
        fs = self.fs_hz
        # linear-phase cleaning (filtfilt-like shape): baseline = centred moving average
        k_base = int(np.rint(BASELINE_S * fs)) | 1
        n_line = int(fs / 50) if fs >= 100 else 2  # power line: forward-backward boxcar
        self.clean_delay = (k_base - 1) // 2 + n_line - 1
        k_smooth = int(np.rint(0.1 * fs))
        k_avg = int(np.rint(0.75 * fs))
        sizes = (k_base, (k_base - 1) // 2, n_line, n_line, k_smooth, k_avg, (k_avg - 1) // 2)
        self._rings = tuple(np.zeros(n) for n in sizes)
        self._states = np.zeros((len(sizes) + 1, 2))
        # flags about smoothed index m compare s[m] with the long average centred on it; the
        # smoothed gradient at m is centred on cleaned index m - k_smooth // 2
        self.lag = (k_avg - 1) // 2 + (k_smooth - 1) // 2
        self.warmup = k_avg
        self._n_blocks = 0
        self._sum_block = 0.0

    def _front(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        clean, flags = np.empty(x.size), np.empty(x.size, dtype=np.bool_)
        kernels.ecg_front(x, self._rings, self._states, clean, flags)
        return clean, flags

    def _accept(self, length: int) -> bool:
        self._n_blocks += 1
        self._sum_block += length
        return length >= 0.4 * self._sum_block / self._n_blocks


class PpgDetector(BeatDetector):
    """Systolic peaks (Elgendi 2013 as in NeuroKit2, causal)."""

    kind = "PPG"

    def _reset_front(self) -> None:
        fs = self.fs_hz
        self._bp = SosFilter(butter_sos(3, (0.5, 8.0), fs, "bandpass"))
        self.clean_delay = 0
        self._k_peak = int(np.rint(0.111 * fs))
        self._k_beat = int(np.rint(0.667 * fs))
        # the short average is compared centred on the same sample as the long one
        self._peak_shift = (self._k_beat - 1) // 2 - (self._k_peak - 1) // 2
        self.lag = (self._k_beat - 1) // 2
        self.warmup = self._k_beat
        # one running sum of the energy serves both averages and the running mean
        self._sums = np.zeros(self._k_beat + 1)
        self._state = np.zeros(3)

    def _front(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        clean = self._bp(x)
        flags = np.empty(clean.size, dtype=np.bool_)
        kernels.ppg_front(clean, self._sums, self._k_peak, self._peak_shift, self._state, flags)
        return clean, flags

    def _accept(self, length: int) -> bool:
        return length >= self._k_peak


def detector_for(kind: str, fs_hz: float) -> BeatDetector:
    """The beat detector for a stream kind ("ECG" or "PPG"); StreamError below its rate."""
    if fs_hz < MIN_RATE_HZ[kind]:
        raise StreamError(
            f"{kind} at {fs_hz:g} Hz is too slow for beat detection (it needs at least "
            f"{MIN_RATE_HZ[kind]:g} Hz)"
        )
    return {"ECG": EcgDetector, "PPG": PpgDetector}[kind](fs_hz)


def detect_beats(kind: str, timestamps: np.ndarray, x: np.ndarray, fs_hz: float) -> np.ndarray:
    """Batch form: beat timestamps of a whole signal, flushed at its end."""
    detector = detector_for(kind, fs_hz)
    found = detector.update(timestamps, x)[0]
    return np.concatenate((found, detector.flush()[0]))
