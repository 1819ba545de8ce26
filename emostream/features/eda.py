"""Electrodermal activity: tonic level (SCL) and slope, skin conductance responses (SCRs).

Cleaning follows NeuroKit2's defaults made causal: 3 Hz low-pass, phasic = 0.05 Hz high-pass,
tonic = cleaned - phasic. At <= 6 Hz, where NeuroKit2 skips its low-pass, a gentler one
(`scr_lowpass_hz`) removes the quantisation ripple of wrist devices (E4, 4 Hz) that would
otherwise count as SCRs. An SCR is a local maximum of the phasic signal in the window, counted
as NeuroKit2 does: its prominence must reach `scr_min_rel_amp` of a reference, and its rise
from the preceding trough `scr_min_amp_us`. NeuroKit2 on a whole recording takes the
session's largest prominence as the reference; causally, the reference is the running
maximum, over the windows computed so far, of the largest prominence in the `scr_reference_s`
ending at each window's end, so quiet windows are not judged against their own noise. Each
sample is filtered once and kept; a window's SCRs are found on it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from emostream.config import check_range
from emostream.core.spec import StreamSpec
from emostream.features import kernels
from emostream.features.base import MAX_HISTORY_S, Extractor, ExtractorOutput
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
#: the SCR reference's look-back is searched at no more than this rate (phasic <= 3 Hz)
REFERENCE_RATE_HZ = 8.0
#: a run of identical samples at the window's extreme this long is clipping, s
CLIPPED_RUN_S = 2.0
#: a window whose raw range is below this is flat (no contact / saturated)
FLAT_RANGE_US = 1e-3


@dataclass(frozen=True)
class EdaParams(CommonParams):
    """SCR detection settings."""

    #: smallest SCR amplitude (rise from the preceding trough) counted
    scr_min_amp_us: float = 0.01
    #: smallest SCR prominence relative to the reference prominence (NeuroKit2's
    #: `amplitude_min` criterion)
    scr_min_rel_amp: float = 0.1
    #: low-pass (2nd order) before the phasic separation at rates <= 6 Hz, where NeuroKit2's
    #: 3 Hz cleaning is skipped; above 6 Hz the 3 Hz low-pass is used
    scr_lowpass_hz: float = 1.0
    #: look-back ending at the window's end (at least the window) whose largest SCR prominence
    #: feeds the relative criterion's running reference; at most MAX_HISTORY_S
    scr_reference_s: float = 600.0

    def __post_init__(self) -> None:
        CommonParams.__post_init__(self)
        check_range("scr_lowpass_hz", self.scr_lowpass_hz, 0.0, low_open=True)
        check_range("scr_reference_s", self.scr_reference_s, 0.0, MAX_HISTORY_S)


def clipped_mask(
    timestamps: np.ndarray, raw_us: np.ndarray, lo_us: float, hi_us: float
) -> np.ndarray:
    """Samples in runs of identical values at the window's minimum `lo_us` or maximum `hi_us`
    lasting at least CLIPPED_RUN_S: an amplifier or converter held at its rail."""
    clipped = np.zeros(raw_us.size, dtype=bool)
    for rail_us in (lo_us, hi_us):
        at_rail = np.flatnonzero(raw_us == rail_us)
        if timestamps[at_rail[-1]] - timestamps[at_rail[0]] < CLIPPED_RUN_S:
            continue  # the usual case: the extreme is reached only briefly
        breaks = np.flatnonzero(np.diff(at_rail) > 1)
        for a, b in zip(
            np.concatenate(([0], breaks + 1)).tolist(),
            np.concatenate((breaks, [at_rail.size - 1])).tolist(),
            strict=True,
        ):
            first, last = at_rail[a], at_rail[b]
            if timestamps[last] - timestamps[first] >= CLIPPED_RUN_S:
                clipped[first : last + 1] = True
    return clipped


def eda_quality(timestamps: np.ndarray, raw_us: np.ndarray) -> tuple[float, str]:
    """Fraction of plausible samples (in range, not clipped, no impossible jumps) and what
    failed most; 0 for a flat window."""
    if raw_us.size < 2:
        return 0.0, "no samples"
    ok = (raw_us >= EDA_MIN_US) & (raw_us <= EDA_MAX_US)  # NaN fails both
    finite = raw_us if ok.all() else raw_us[np.isfinite(raw_us)]
    if not finite.size:
        return 0.0, "flat"
    lo_us, hi_us = float(finite.min()), float(finite.max())
    if hi_us - lo_us < FLAT_RANGE_US:
        return 0.0, "flat"
    in_range = int(np.count_nonzero(ok))
    clipped = clipped_mask(timestamps, raw_us, lo_us, hi_us)
    n_clipped = int(np.count_nonzero(clipped))
    if n_clipped:
        ok &= ~clipped
    ok[1:] &= np.abs(raw_us[1:] - raw_us[:-1]) <= MAX_JUMP_US_PER_S * (
        timestamps[1:] - timestamps[:-1]
    )
    n_ok = int(np.count_nonzero(ok))
    failed = {"out of range": raw_us.size - in_range, "clipped": n_clipped}
    worst = max(failed, key=failed.__getitem__)
    return n_ok / raw_us.size, worst if failed[worst] else "jumps"


def largest_prominence_us(phasic_us: np.ndarray) -> float:
    """Largest prominence among the local maxima of a phasic signal (0 when there are none)."""
    _, prominence = kernels.peak_prominences(np.ascontiguousarray(phasic_us, dtype=np.float64))
    return float(prominence.max()) if prominence.size else 0.0


def scr_peaks(
    phasic_us: np.ndarray, min_amp_us: float, min_rel_amp: float, reference_us: float = 0.0
) -> np.ndarray:
    """Amplitudes of the SCRs in a phasic signal, as NeuroKit2 defines them: local maxima whose
    prominence is at least `min_rel_amp` of the reference (`reference_us`, or the largest
    prominence here when that is larger); amplitude = rise from the preceding trough (onset),
    kept when >= `min_amp_us`."""
    peaks, prominence = kernels.peak_prominences(np.ascontiguousarray(phasic_us, dtype=np.float64))
    if not peaks.size:
        return np.zeros(0)
    peaks = peaks[prominence >= min_rel_amp * max(reference_us, prominence.max())]
    troughs = kernels.local_maxima(-phasic_us)
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
    scr_reference_us: float = 0.0,
) -> ExtractorOutput:
    """SCL (mean tonic), its slope, SCR count and mean amplitude in one window.

    `scr_reference_us`: prominence the relative SCR criterion is taken against (the streaming
    extractor passes its running reference, taken over a look-back that holds the window); the
    window's own largest prominence is used when larger, so 0 judges the window on its own."""
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
    amps = scr_peaks(phasic_us[sl], params.scr_min_amp_us, params.scr_min_rel_amp, scr_reference_us)
    v["eda_scr_count"] = float(amps.size)
    if amps.size:
        v["eda_scr_amp_us"] = float(np.mean(amps))
    return out


@register
class EdaExtractor(Extractor):
    """Skin conductance level, slope and responses from an EDA stream in µS.

    Keeps the filtered history and the running SCR reference: the largest prominence found in
    the `scr_reference_s` look-back at the end of any window computed so far that passed the
    quality check (NeuroKit2 uses the whole session's largest; this is its causal analogue).
    """

    name = "eda"
    kinds = ("EDA",)
    Params = EdaParams

    def __init__(self, spec: StreamSpec, params: EdaParams, history_s: float = MAX_HISTORY_S):
        super().__init__(spec, params, history_s)
        self.reset()

    def reset(self) -> None:
        fs = self.spec.rate_hz
        self._lowpass = SosFilter(
            butter_sos(4, LOWPASS_HZ, fs, "lowpass")
            if fs > 6
            else butter_sos(2, self.params.scr_lowpass_hz, fs, "lowpass")
        )
        self._highpass = SosFilter(butter_sos(2, PHASIC_HIGHPASS_HZ, fs, "highpass"))
        self._last = np.nan
        # raw, tonic, phasic: the window, or the SCR reference's look-back when longer
        self._samples = history(fs, 3, max(self.history_s, self.params.scr_reference_s))
        self._scr_reference_us = 0.0

    def update(self, timestamps: np.ndarray, data: np.ndarray) -> None:
        raw = data[:, 0].astype(float)
        x, self._last = hold_nonfinite(raw, self._last)
        clean = self._lowpass(x)
        phasic = self._highpass(clean)
        self._samples.write(timestamps, np.column_stack((raw, clean - phasic, phasic)))

    def compute(self, window: Window, key: str) -> ExtractorOutput:
        # the look-back, window included
        back_s = min(window.t_start, window.t_end - self.params.scr_reference_s)
        ts, d = self._samples.view_between(back_s, window.t_end)  # not copied
        # the look-back's phasic signal, at no more than REFERENCE_RATE_HZ (it is low-passed)
        step = max(1, int(self.spec.rate_hz // REFERENCE_RATE_HZ))
        phasic = d[::step, 2]
        reference_us = self._scr_reference_us
        # no prominence can exceed the look-back's range: search only when it could raise it
        if phasic.size and phasic.max() - phasic.min() > reference_us:
            reference_us = max(reference_us, largest_prominence_us(phasic))
        out = eda_features(
            ts, d[:, 0], d[:, 1], d[:, 2], window.t_start, window.t_end, self.params, reference_us
        )
        if "eda_scr_count" in out.values:  # only windows that pass the quality check count
            self._scr_reference_us = reference_us
        return out
