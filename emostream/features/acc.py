"""Motion from a 3-axis accelerometer (g): spread of the acceleration magnitude per window."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from emostream.core.spec import StreamSpec
from emostream.features.base import Extractor, ExtractorOutput
from emostream.features.common import CommonParams, in_window
from emostream.features.dsp import history
from emostream.features.registry import register
from emostream.windowing import Window


@dataclass(frozen=True)
class AccParams(CommonParams):
    """Accelerometer settings (only the common ones)."""


def acc_features(
    timestamps: np.ndarray, xyz_g: np.ndarray, t_start: float, t_end: float, params: AccParams
) -> ExtractorOutput:
    """Mean and standard deviation of |a| over the window (movement raises the SD)."""
    out = ExtractorOutput()
    xyz = xyz_g[in_window(timestamps, t_start, t_end)]
    magnitude = np.sqrt(np.einsum("ij,ij->i", xyz, xyz))
    if not np.isfinite(magnitude).all():
        magnitude = magnitude[np.isfinite(magnitude)]
    n = magnitude.size
    if n < 2:
        out.reasons["acc"] = "fewer than 2 accelerometer samples"
        return out
    mean = float(magnitude.sum()) / n
    deviation = magnitude - mean
    out.values["acc_magnitude_mean_g"] = mean
    out.values["acc_magnitude_sd_g"] = float(np.sqrt(np.dot(deviation, deviation) / n))
    return out


@register
class AccExtractor(Extractor):
    """Motion intensity from an ACC stream with x, y, z in g."""

    name = "acc"
    kinds = ("ACC",)
    Params = AccParams

    def __init__(self, spec: StreamSpec, params: AccParams):
        super().__init__(spec, params)
        self.reset()

    def reset(self) -> None:
        self._samples = history(self.spec.rate_hz, min(3, self.spec.n_channels))

    def update(self, timestamps: np.ndarray, data: np.ndarray) -> None:
        self._samples.write(timestamps, data[:, :3])

    def compute(self, window: Window, key: str) -> ExtractorOutput:
        ts, data = self._samples.between(window.t_start, window.t_end)
        return acc_features(ts, data, window.t_start, window.t_end, self.params)
