"""Heart rate as the device reports it (an HR stream in bpm, e.g. the Empatica E4's own).

Wrist devices compute HR from their optical pulse with their own artifact handling, and
report it even when single beats are too noisy to time for HRV. Its window mean and spread
complement the beat-based `hr_bpm` of the `hrv` extractor, which is absent whenever the
pulse fails the quality gate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from emostream.core.spec import StreamSpec
from emostream.features.base import MAX_HISTORY_S, Extractor, ExtractorOutput
from emostream.features.common import CommonParams, in_window
from emostream.features.dsp import history
from emostream.features.registry import register
from emostream.windowing import Window

#: plausible reported heart rate, bpm
HR_MIN_BPM, HR_MAX_BPM = 30.0, 220.0


@dataclass(frozen=True)
class HrParams(CommonParams):
    """Device heart-rate settings (only the common ones)."""


def hr_features(
    timestamps: np.ndarray, hr_bpm: np.ndarray, t_start: float, t_end: float, params: HrParams
) -> ExtractorOutput:
    """Mean and standard deviation of the plausible reported heart rate in the window."""
    out = ExtractorOutput()
    x = hr_bpm[in_window(timestamps, t_start, t_end)]
    ok = (x >= HR_MIN_BPM) & (x <= HR_MAX_BPM)  # NaN fails both
    n_ok = int(np.count_nonzero(ok))
    quality = n_ok / x.size if x.size else 0.0
    out.quality["hr"] = quality
    if quality < params.min_quality or n_ok < 2:
        out.reasons["hr"] = f"quality_hr {quality:.2f} < {params.min_quality:.2f}"
        return out
    x = x[ok]
    mean = float(x.sum()) / n_ok
    out.values["hr_device_bpm"] = mean
    out.values["hr_device_sd_bpm"] = float(np.sqrt(np.dot(x - mean, x - mean) / n_ok))
    return out


@register
class HrExtractor(Extractor):
    """Mean and spread of a device-reported heart rate stream."""

    name = "hr"
    kinds = ("HR",)
    Params = HrParams

    def __init__(self, spec: StreamSpec, params: HrParams, history_s: float = MAX_HISTORY_S):
        super().__init__(spec, params, history_s)
        self.reset()

    def reset(self) -> None:
        self._samples = history(self.spec.rate_hz, 1, self.history_s)

    def update(self, timestamps: np.ndarray, data: np.ndarray) -> None:
        self._samples.write(timestamps, data[:, :1].astype(float))

    def compute(self, window: Window, key: str) -> ExtractorOutput:
        ts, data = self._samples.between(window.t_start, window.t_end)
        return hr_features(ts, data[:, 0], window.t_start, window.t_end, self.params)
