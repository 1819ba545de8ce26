"""Electrodermal activity: tonic level (SCL) and slope, skin conductance responses (SCRs).

Cleaning follows NeuroKit2's defaults made causal: 3 Hz low-pass (skipped at <= 6 Hz, as
NeuroKit2 does), phasic = 0.05 Hz high-pass, tonic = cleaned - phasic. An SCR is a local
maximum of the phasic signal in the window, counted as NeuroKit2 does (prominence relative to
the window's largest) and kept when its rise from the preceding trough is at least
`scr_min_amp_us`. Each sample is filtered once and kept; a window's SCRs are found on it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal

from emostream.core.spec import StreamSpec
from emostream.features.base import Extractor, ExtractorOutput
from emostream.features.common import CommonParams, in_window, slope_per_min
from emostream.features.dsp import SosFilter, butter_sos, history, hold_nonfinite
from emostream.features.registry import register
from emostream.windowing import Window

LOWPASS_HZ = 3.0
PHASIC_HIGHPASS_HZ = 0.05
#: possible skin conductance, µS (E4 reads ~0 when off the skin)
EDA_MIN_US, EDA_MAX_US = 0.02, 100.0
#: faster changes are artifacts (electrode contact), µS per second
MAX_JUMP_US_PER_S = 10.0
#: a window whose raw range is below this is flat (no contact / saturated)
FLAT_RANGE_US = 1e-3


@dataclass(frozen=True)
class EdaParams(CommonParams):
    """`scr_min_amp_us`: smallest SCR amplitude counted; `scr_min_rel_amp`: smallest amplitude
    relative to the window's largest SCR (NeuroKit2's `amplitude_min` criterion)."""

    scr_min_amp_us: float = 0.01
    scr_min_rel_amp: float = 0.1


def eda_quality(timestamps: np.ndarray, raw_us: np.ndarray) -> tuple[float, str]:
    """Fraction of plausible samples (in range, no impossible jumps); 0 for a flat window."""
    if raw_us.size < 2:
        return 0.0, "no samples"
    ok = (raw_us >= EDA_MIN_US) & (raw_us <= EDA_MAX_US)  # NaN fails both
    finite = raw_us if ok.all() else raw_us[np.isfinite(raw_us)]
    if not finite.size or finite.max() - finite.min() < FLAT_RANGE_US:
        return 0.0, "flat"
    in_range = int(np.count_nonzero(ok))
    ok[1:] &= np.abs(raw_us[1:] - raw_us[:-1]) <= MAX_JUMP_US_PER_S * (
        timestamps[1:] - timestamps[:-1]
    )
    n_ok = int(np.count_nonzero(ok))
    return n_ok / raw_us.size, "out of range" if in_range < raw_us.size else "jumps"


def scr_peaks(phasic_us: np.ndarray, min_amp_us: float, min_rel_amp: float) -> np.ndarray:
    """Amplitudes of the SCRs in a phasic signal, as NeuroKit2 defines them: local maxima whose
    prominence is at least `min_rel_amp` of the largest; amplitude = rise from the preceding
    trough (onset), kept when >= `min_amp_us`."""
    peaks, props = signal.find_peaks(phasic_us, prominence=(None, None))
    if not peaks.size:
        return np.zeros(0)
    prominence = props["prominences"]
    peaks = peaks[prominence >= min_rel_amp * prominence.max()]
    troughs, _ = signal.find_peaks(-phasic_us)
    before = np.searchsorted(troughs, peaks) - 1
    has_onset = before >= 0
    amps = phasic_us[peaks[has_onset]] - phasic_us[troughs[before[has_onset]]]
    return amps[amps >= min_amp_us]


def eda_features(
    timestamps: np.ndarray,
    raw_us: np.ndarray,
    tonic_us: np.ndarray,
    phasic_us: np.ndarray,
    t_start: float,
    t_end: float,
    params: EdaParams,
) -> ExtractorOutput:
    """SCL (mean tonic), its slope, SCR count and mean amplitude in one window."""
    out = ExtractorOutput()
    sl = in_window(timestamps, t_start, t_end)
    ts, raw, tonic = timestamps[sl], raw_us[sl], tonic_us[sl]
    quality, why = eda_quality(ts, raw)
    out.quality["eda"] = quality
    if quality < params.min_quality:
        out.reasons["eda"] = f"quality_eda {quality:.2f} < {params.min_quality:.2f} ({why})"
        return out
    v = out.values
    v["eda_scl_us"] = float(tonic.sum()) / tonic.size
    v["eda_scl_slope_us_per_min"] = slope_per_min(ts, tonic)
    amps = scr_peaks(phasic_us[sl], params.scr_min_amp_us, params.scr_min_rel_amp)
    v["eda_scr_count"] = float(amps.size)
    if amps.size:
        v["eda_scr_amp_us"] = float(np.mean(amps))
    return out


@register
class EdaExtractor(Extractor):
    """Skin conductance level, slope and responses from an EDA stream in µS."""

    name = "eda"
    kinds = ("EDA",)
    Params = EdaParams

    def __init__(self, spec: StreamSpec, params: EdaParams):
        super().__init__(spec, params)
        self.reset()

    def reset(self) -> None:
        fs = self.spec.rate_hz
        self._lowpass = SosFilter(butter_sos(4, LOWPASS_HZ, fs, "lowpass") if fs > 6 else None)
        self._highpass = SosFilter(butter_sos(2, PHASIC_HIGHPASS_HZ, fs, "highpass"))
        self._last = np.nan
        self._samples = history(fs, 3)  # raw, tonic, phasic

    def update(self, timestamps: np.ndarray, data: np.ndarray) -> None:
        raw = data[:, 0].astype(float)
        x, self._last = hold_nonfinite(raw, self._last)
        clean = self._lowpass(x)
        phasic = self._highpass(clean)
        self._samples.write(timestamps, np.column_stack((raw, clean - phasic, phasic)))

    def compute(self, window: Window, key: str) -> ExtractorOutput:
        ts, d = self._samples.between(window.t_start, window.t_end)
        return eda_features(
            ts, d[:, 0], d[:, 1], d[:, 2], window.t_start, window.t_end, self.params
        )
