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


def magnitude_g(xyz_g: np.ndarray) -> np.ndarray:
    """|a| of each x, y, z sample."""
    return np.sqrt(np.einsum("ij,ij->i", xyz_g, xyz_g))


def magnitude_features(
    timestamps: np.ndarray, magnitude: np.ndarray, t_start: float, t_end: float
) -> ExtractorOutput:
    """Mean and standard deviation of |a| over the window (movement raises the SD)."""
    out = ExtractorOutput()
    magnitude = magnitude[in_window(timestamps, t_start, t_end)]
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


def acc_features(
    timestamps: np.ndarray, xyz_g: np.ndarray, t_start: float, t_end: float, params: AccParams
) -> ExtractorOutput:
    """Mean and standard deviation of |a| over the window (movement raises the SD)."""
    return magnitude_features(timestamps, magnitude_g(xyz_g), t_start, t_end)


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
        self._magnitude = history(self.spec.rate_hz, 1)

    def update(self, timestamps: np.ndarray, data: np.ndarray) -> None:
        self._magnitude.write(timestamps, magnitude_g(data[:, :3].astype(float))[:, None])

    def compute(self, window: Window, key: str) -> ExtractorOutput:
        ts, magnitude = self._magnitude.between(window.t_start, window.t_end)
        return magnitude_features(ts, magnitude[:, 0], window.t_start, window.t_end)
