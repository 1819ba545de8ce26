"""Heart rate and heart-rate variability from ECG, PPG/BVP or device RR intervals.

Pure part: `hrv_features(beat_ts, rri_ms, beat_corr, t_start, t_end, params)` on one window's
beats. Streaming part: `HrvExtractor` runs the causal beat detector (beats.py) on each new
sample once and keeps the beats of the recent past.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from emostream.core.spec import StreamSpec
from emostream.features import kernels
from emostream.features.base import MAX_HISTORY_S, Extractor, ExtractorOutput
from emostream.features.beats import BeatDetector, detector_for
from emostream.features.common import CommonParams, in_window
from emostream.features.dsp import history
from emostream.features.registry import register
from emostream.windowing import Window

#: physiologically possible RR intervals
RRI_MIN_MS, RRI_MAX_MS = 250.0, 2000.0
LF_BAND_HZ, HF_BAND_HZ = (0.04, 0.15), (0.15, 0.4)
#: shortest windows for which HF and LF power mean something (Task Force 1996)
HF_MIN_S, LF_MIN_S = 60.0, 120.0
RESAMPLE_HZ = 4.0
#: intervals further than this fraction from the window's median RR are missed/extra beats
MAX_MEDIAN_DEVIATION = 0.2


@dataclass(frozen=True)
class HrvParams(CommonParams):
    """`correct_artifacts`: drop ectopic/long/short intervals (Lipponen–Tarvainen thresholds).
    `min_beats`: fewer clean intervals than this in a window → HRV absent."""

    correct_artifacts: bool = True
    min_beats: int = 8


def rr_artifacts(rri_ms: np.ndarray, alpha: float = 5.2, median_order: int = 11) -> np.ndarray:
    """Mask of artifact intervals: out of range; more than 20% away from the window median
    (missed or extra beats); or both a jump in successive differences and a departure from the
    local median beyond the Lipponen–Tarvainen (2019) adaptive thresholds (ectopic beats)."""
    return kernels.rr_artifact_mask(
        np.ascontiguousarray(rri_ms, dtype=float),
        alpha,
        median_order,
        RRI_MIN_MS,
        RRI_MAX_MS,
        MAX_MEDIAN_DEVIATION,
    )


@dataclass(frozen=True, slots=True)
class _SpectrumBasis:
    """What the periodogram of an n-sample RR series needs besides the series: 16·n bytes,
    kept per length."""

    taper: np.ndarray  # Hann
    centred: np.ndarray  # sample numbers minus their mean, for the linear detrend
    centred_ss: float
    scale: float  # |DFT|² -> ms² per bin: one-sided PSD times the bin width
    lf_bins: slice
    hf_bins: slice


@functools.lru_cache(maxsize=256)
def _spectrum_basis(n: int) -> _SpectrumBasis:
    taper = np.hanning(n)
    centred = np.arange(n) - (n - 1) / 2.0
    # each band: the bins from its lower edge up to (not including) its upper one; never DC
    edges = (LF_BAND_HZ[0], HF_BAND_HZ[0], HF_BAND_HZ[1])
    lf_lo, hf_lo, hf_hi = (
        int(i) for i in np.searchsorted(np.fft.rfftfreq(n, 1.0 / RESAMPLE_HZ), edges)
    )
    return _SpectrumBasis(
        taper=taper,
        centred=centred,
        centred_ss=float(centred @ centred),
        scale=2.0 / (RESAMPLE_HZ * float(taper @ taper)) * (RESAMPLE_HZ / n),
        lf_bins=slice(max(lf_lo, 1), hf_lo),
        hf_bins=slice(hf_lo, hf_hi),
    )


def band_powers_ms2(beat_ts: np.ndarray, rri_ms: np.ndarray, length_s: float) -> dict[str, float]:
    """LF and HF power (ms²) of the RR series: natural cubic-spline resampling at 4 Hz (linear
    resampling would damp HF by about a quarter), linear detrend, one Hann-windowed periodogram
    over the window (`scipy.signal.periodogram(series, 4, np.hanning(n), detrend="linear")`
    summed over each band's bins). Only bands the window is long enough for."""
    out: dict[str, float] = {}
    if length_s < HF_MIN_S or rri_ms.size < 8:
        return out
    t = np.arange(beat_ts[0], beat_ts[-1], 1.0 / RESAMPLE_HZ)
    if t.size < 16:
        return out
    basis = _spectrum_basis(t.size)
    series = kernels.natural_cubic_spline(beat_ts, rri_ms, t)
    slope = float(basis.centred @ series) / basis.centred_ss
    spectrum = np.fft.rfft((series - series.mean() - slope * basis.centred) * basis.taper)
    hf = _band_power(spectrum[basis.hf_bins], basis.scale)
    out["hrv_hf_ms2"] = hf
    if length_s >= LF_MIN_S:
        lf = _band_power(spectrum[basis.lf_bins], basis.scale)
        out["hrv_lf_ms2"] = lf
        if hf > 0:
            out["hrv_lf_hf"] = lf / hf
    return out


def _band_power(bins: np.ndarray, scale: float) -> float:
    return float(bins.real @ bins.real + bins.imag @ bins.imag) * scale


def hrv_features(
    beat_ts: np.ndarray,
    rri_ms: np.ndarray,
    beat_corr: np.ndarray,
    t_start: float,
    t_end: float,
    params: HrvParams,
    signal_name: str,
) -> ExtractorOutput:
    """HR, time-domain HRV, Poincaré SD1/SD2 and (long windows) LF/HF of one window's beats.

    `rri_ms[i]` is the interval ending at beat `beat_ts[i]` (NaN if unknown); `beat_corr` is
    each beat's correlation with the running template (1 for device RR input).
    """
    out = ExtractorOutput()
    sl = in_window(beat_ts, t_start, t_end)
    ts, rri, corr = beat_ts[sl], rri_ms[sl], beat_corr[sl]
    ok = np.isfinite(rri)
    if not ok.all():
        ts, rri, corr = ts[ok], rri[ok], corr[ok]
    if rri.size < params.min_beats:
        out.reasons["hrv"] = f"{rri.size} beats in window < min_beats {params.min_beats}"
        return out
    artifact = rr_artifacts(rri) if params.correct_artifacts else np.zeros(rri.size, bool)
    n_clean, clean_ms, mean_nn, sdnn, n_diffs, rmssd, n_over_50, sdsd = kernels.rr_statistics(
        np.ascontiguousarray(ts), np.ascontiguousarray(rri), artifact
    ).tolist()
    # quality: beat-shape agreement x the fraction of the window explained by clean beats
    template = min(1.0, max(0.0, float(corr.sum()) / corr.size))
    explained = min(1.0, clean_ms / 1000.0 / (t_end - t_start))
    quality = template * explained
    out.quality[signal_name] = quality
    if quality < params.min_quality:
        out.reasons["hrv"] = f"quality_{signal_name} {quality:.2f} < {params.min_quality:.2f}"
        return out
    if n_clean < params.min_beats:
        out.reasons["hrv"] = f"{n_clean:.0f} clean beats < min_beats {params.min_beats}"
        return out
    v = out.values
    v["hr_bpm"] = 60000.0 / mean_nn
    v["hrv_meannn_ms"] = mean_nn
    v["hrv_sdnn_ms"] = sdnn
    if n_diffs >= 2:
        v["hrv_rmssd_ms"] = rmssd
        v["hrv_pnn50_pct"] = n_over_50 / (n_diffs + 1) * 100
        v["hrv_sd1_ms"] = float(np.sqrt(0.5) * sdsd)
        v["hrv_sd2_ms"] = float(np.sqrt(max(2.0 * sdnn**2 - 0.5 * sdsd**2, 0.0)))
    keep = ~artifact
    v.update(band_powers_ms2(ts[keep], rri[keep], t_end - t_start))
    return out


@register
class HrvExtractor(Extractor):
    """Beats from ECG (R-peaks), PPG/BVP (systolic peaks) or RR streams → HR and HRV."""

    name = "hrv"
    kinds = ("ECG", "PPG", "RR")
    Params = HrvParams

    def __init__(self, spec: StreamSpec, params: HrvParams, history_s: float = MAX_HISTORY_S):
        super().__init__(spec, params, history_s)
        self.signal_name = spec.kind.lower()
        kernels.warm_up()
        self.reset()

    def reset(self) -> None:
        self._detector: BeatDetector | None = None
        if self.spec.kind != "RR":
            self._detector = detector_for(self.spec.kind, self.spec.rate_hz)
        # columns: rri_ms, template correlation
        self._beats = history(0.0, 2, self.history_s)
        self._last_beat = np.nan

    def update(self, timestamps: np.ndarray, data: np.ndarray) -> None:
        if self._detector is None:
            beat_ts = timestamps
            rri = data[:, 0].astype(float)
            corr = np.ones(rri.size)
        else:
            beat_ts, corr = self._detector.update(timestamps, data[:, 0])
            if not beat_ts.size:
                return
            rri = np.diff(np.concatenate(([self._last_beat], beat_ts))) * 1000.0
            self._last_beat = float(beat_ts[-1])
        self._beats.write(beat_ts, np.column_stack((rri, corr)))

    def compute(self, window: Window, key: str) -> ExtractorOutput:
        ts, data = self._beats.between(window.t_start, window.t_end)
        return hrv_features(
            ts, data[:, 0], data[:, 1], window.t_start, window.t_end, self.params, self.signal_name
        )
