"""Respiration from a belt (or any breathing) signal: rate and amplitude per window.

The signal is band-passed causally (0.05–1 Hz, each sample once) and kept; a window's breaths
are the inhalation peaks of that signal whose prominence is at least 30% of the window's
median breath (NeuroKit2's Khodadad 2018 amplitude rule) and at least 1.2 s apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal

from emostream.core.spec import StreamSpec
from emostream.features.base import MAX_HISTORY_S, Extractor, ExtractorOutput
from emostream.features.common import CommonParams, in_window
from emostream.features.dsp import SosFilter, butter_sos, history, hold_nonfinite
from emostream.features.registry import register
from emostream.windowing import Window

BAND_HZ = (0.05, 1.0)
#: breaths closer than this are one breath (50 breaths/min at most)
MIN_BREATH_S = 1.2
#: longest plausible breath cycle
MAX_BREATH_S = 15.0
MIN_REL_PROMINENCE = 0.3


@dataclass(frozen=True)
class RspParams(CommonParams):
    """`min_breaths`: fewer inhalation peaks than this → rate absent."""

    min_breaths: int = 3


def breath_peaks(x: np.ndarray, fs_hz: float) -> tuple[np.ndarray, np.ndarray]:
    """Indices and prominences of the inhalation peaks of a band-passed breathing signal."""
    peaks, props = signal.find_peaks(x, distance=max(1, int(MIN_BREATH_S * fs_hz)), prominence=0)
    prominence = props["prominences"]
    if not peaks.size:
        return peaks, prominence
    keep = prominence >= MIN_REL_PROMINENCE * np.median(prominence)
    return peaks[keep], prominence[keep]


def rsp_features(
    timestamps: np.ndarray,
    filtered: np.ndarray,
    fs_hz: float,
    t_start: float,
    t_end: float,
    params: RspParams,
) -> ExtractorOutput:
    """Breathing rate (breaths/min) and mean breath amplitude (input units) of one window."""
    out = ExtractorOutput()
    sl = in_window(timestamps, t_start, t_end)
    ts, x = timestamps[sl], filtered[sl]
    peaks, prominence = breath_peaks(x, fs_hz)
    cycles = np.diff(ts[peaks])
    plausible = cycles[(cycles >= MIN_BREATH_S) & (cycles <= MAX_BREATH_S)]
    quality = min(1.0, float(np.sum(plausible)) / (t_end - t_start) * 1.1)
    out.quality["rsp"] = quality
    if peaks.size < params.min_breaths:
        out.reasons["rsp"] = f"{peaks.size} breaths < min_breaths {params.min_breaths}"
        return out
    if quality < params.min_quality:
        out.reasons["rsp"] = f"quality_rsp {quality:.2f} < {params.min_quality:.2f}"
        return out
    out.values["rsp_rate_bpm"] = 60.0 / float(np.mean(plausible))
    out.values["rsp_amplitude_au"] = float(np.mean(prominence))
    return out


@register
class RspExtractor(Extractor):
    """Breathing rate and amplitude from an RSP stream."""

    name = "rsp"
    kinds = ("RSP",)
    Params = RspParams

    def __init__(self, spec: StreamSpec, params: RspParams, history_s: float = MAX_HISTORY_S):
        super().__init__(spec, params, history_s)
        self.reset()

    def reset(self) -> None:
        self._filter = SosFilter(butter_sos(2, BAND_HZ, self.spec.rate_hz, "bandpass"))
        self._last = np.nan
        self._samples = history(self.spec.rate_hz, 1, self.history_s)

    def update(self, timestamps: np.ndarray, data: np.ndarray) -> None:
        x, self._last = hold_nonfinite(data[:, 0].astype(float), self._last)
        self._samples.write(timestamps, self._filter(x)[:, None])

    def compute(self, window: Window, key: str) -> ExtractorOutput:
        ts, data = self._samples.between(window.t_start, window.t_end)
        return rsp_features(
            ts, data[:, 0], self.spec.rate_hz, window.t_start, window.t_end, self.params
        )
