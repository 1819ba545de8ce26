"""Motion from a 3-axis accelerometer (g): spread of the acceleration magnitude per window, and
optionally each axis's mean (the limb's orientation) and SD."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from emostream.core.spec import StreamSpec
from emostream.features.base import Extractor, ExtractorOutput
from emostream.features.common import CommonParams, in_window
from emostream.features.dsp import history
from emostream.features.registry import register
from emostream.windowing import Window

AXES = ("x", "y", "z")


@dataclass(frozen=True)
class AccParams(CommonParams):
    """Accelerometer settings."""

    #: also each axis's mean (orientation against gravity) and SD
    per_axis: bool = False


def magnitude_g(xyz_g: np.ndarray) -> np.ndarray:
    """|a| of each x, y, z sample."""
    return np.sqrt(np.einsum("ij,ij->i", xyz_g, xyz_g))


def acc_features(
    timestamps: np.ndarray, xyz_g: np.ndarray, t_start: float, t_end: float, params: AccParams
) -> ExtractorOutput:
    """Mean and SD of |a| over the window's finite samples (movement raises the SD); with
    `params.per_axis`, also the mean and SD of x, y and z."""
    out = ExtractorOutput()
    xyz_g = xyz_g[in_window(timestamps, t_start, t_end)]
    xyz_g = xyz_g[np.isfinite(xyz_g).all(axis=1)]
    if xyz_g.shape[0] < 2:
        out.reasons["acc"] = "fewer than 2 accelerometer samples"
        return out
    magnitude = magnitude_g(xyz_g)
    out.values["acc_magnitude_mean_g"] = float(np.mean(magnitude))
    out.values["acc_magnitude_sd_g"] = float(np.std(magnitude))
    if params.per_axis:
        for axis, mean, sd in zip(AXES, xyz_g.mean(axis=0), xyz_g.std(axis=0), strict=True):
            out.values[f"acc_{axis}_mean_g"] = float(mean)
            out.values[f"acc_{axis}_sd_g"] = float(sd)
    return out


@register
class AccExtractor(Extractor):
    """Motion intensity (and orientation) from an ACC stream with x, y, z in g."""

    name = "acc"
    kinds = ("ACC",)
    Params = AccParams

    def __init__(self, spec: StreamSpec, params: AccParams):
        super().__init__(spec, params)
        self.reset()

    def reset(self) -> None:
        self._xyz = history(self.spec.rate_hz, 3)

    def update(self, timestamps: np.ndarray, data: np.ndarray) -> None:
        self._xyz.write(timestamps, data[:, :3].astype(float))

    def compute(self, window: Window, key: str) -> ExtractorOutput:
        ts, xyz = self._xyz.between(window.t_start, window.t_end)
        return acc_features(ts, xyz, window.t_start, window.t_end, self.params)
