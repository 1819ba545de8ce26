"""Electrodermal activity: tonic level (SCL) and slope, skin conductance responses (SCRs).

Cleaning follows NeuroKit2's defaults made causal: 3 Hz low-pass (skipped at <= 6 Hz, as
NeuroKit2 does), phasic = 0.05 Hz high-pass, tonic = cleaned - phasic. An SCR is a local
maximum of the phasic signal whose rise from the preceding local minimum (its onset) is at
least `scr_min_amp_us`. Each sample is filtered once; SCRs are found as samples arrive.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

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
    """`scr_min_amp_us`: smallest SCR amplitude counted."""

    scr_min_amp_us: float = 0.01


def eda_quality(timestamps: np.ndarray, raw_us: np.ndarray) -> tuple[float, str]:
    """Fraction of plausible samples (in range, no impossible jumps); 0 for a flat window."""
    if raw_us.size < 2:
        return 0.0, "no samples"
    finite = np.isfinite(raw_us)
    if not finite.any() or np.ptp(raw_us[finite]) < FLAT_RANGE_US:
        return 0.0, "flat"
    ok = finite & (raw_us >= EDA_MIN_US) & (raw_us <= EDA_MAX_US)
    rate = np.abs(np.diff(raw_us)) / np.maximum(np.diff(timestamps), 1e-9)
    jump = rate > MAX_JUMP_US_PER_S
    ok[1:] &= ~jump
    reason = "out of range" if not (finite & (raw_us >= EDA_MIN_US)).all() else "jumps"
    return float(np.mean(ok)), reason


def eda_features(
    timestamps: np.ndarray,
    raw_us: np.ndarray,
    tonic_us: np.ndarray,
    scr_peak_ts: np.ndarray,
    scr_amp_us: np.ndarray,
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
    v["eda_scl_us"] = float(np.mean(tonic))
    v["eda_scl_slope_us_per_min"] = slope_per_min(ts, tonic)
    scr = in_window(scr_peak_ts, t_start, t_end)
    amps = scr_amp_us[scr]
    v["eda_scr_count"] = float(amps.size)
    if amps.size:
        v["eda_scr_amp_us"] = float(np.mean(amps))
    return out


class ScrDetector:
    """Streaming SCR finder on the phasic signal: onset = last local minimum before a peak."""

    def __init__(self, min_amp_us: float):
        self.min_amp_us = min_amp_us
        self.reset()

    def reset(self) -> None:
        self._prev: tuple[float, float] | None = None  # (timestamp, value) of the last sample
        self._direction = 0.0  # +1 rising, -1 falling, 0 unknown
        self._onset = np.nan

    def update(self, timestamps: np.ndarray, phasic: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return (peak timestamps, amplitudes) of SCRs whose peak was passed in this chunk."""
        if not phasic.size:
            return np.zeros(0), np.zeros(0)
        if self._prev is None:
            self._prev = (float(timestamps[0]), float(phasic[0]))
        ts = np.concatenate(([self._prev[0]], timestamps))
        x = np.concatenate(([self._prev[1]], phasic))
        step = np.sign(np.diff(x))
        # flat steps keep the previous direction
        nonzero = np.where(step != 0, np.arange(step.size), -1)
        np.maximum.accumulate(nonzero, out=nonzero)
        direction = np.where(nonzero >= 0, step[np.maximum(nonzero, 0)], self._direction)
        before = np.concatenate(([self._direction], direction[:-1]))
        turns = np.flatnonzero((direction != before) & (before != 0))
        peaks_ts, amps = [], []
        for i in turns:  # x[i] is the extremum between step i-1 and step i
            if direction[i] > 0:
                self._onset = x[i]
            elif x[i] - self._onset >= self.min_amp_us:
                peaks_ts.append(ts[i])
                amps.append(x[i] - self._onset)
        self._direction = float(direction[-1])
        self._prev = (float(ts[-1]), float(x[-1]))
        return np.asarray(peaks_ts, dtype=float), np.asarray(amps, dtype=float)


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
        self._scr = ScrDetector(self.params.scr_min_amp_us)
        self._last = np.nan
        self._samples = history(fs, 2)  # raw, tonic
        self._scrs = history(0.0, 1, events_per_s=1.0)

    def update(self, timestamps: np.ndarray, data: np.ndarray) -> None:
        raw = data[:, 0].astype(float)
        x, self._last = hold_nonfinite(raw, self._last)
        clean = self._lowpass(x)
        phasic = self._highpass(clean)
        self._samples.write(timestamps, np.column_stack((raw, clean - phasic)))
        peak_ts, amps = self._scr.update(timestamps, phasic)
        if peak_ts.size:
            self._scrs.write(peak_ts, amps[:, None])

    def compute(self, window: Window, key: str) -> ExtractorOutput:
        ts, data = self._samples.between(window.t_start, window.t_end)
        scr_ts, scr = self._scrs.between(window.t_start, window.t_end)
        return eda_features(
            ts, data[:, 0], data[:, 1], scr_ts, scr[:, 0], window.t_start, window.t_end, self.params
        )
