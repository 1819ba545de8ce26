"""Motion from a 3-axis accelerometer (g): spread of the acceleration magnitude per window, and
optionally each axis's mean (the limb's orientation) and SD.

The extractor slides its sums from window to window (`SlidingMoments`); `acc_features` is the
same statistics computed on the window at once."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from emostream.core.spec import StreamSpec
from emostream.features.base import MAX_HISTORY_S, Extractor, ExtractorOutput
from emostream.features.common import CommonParams, in_window
from emostream.features.dsp import history
from emostream.features.moments import SlidingMoments
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


def motion_rows(xyz_g: np.ndarray) -> np.ndarray:
    """x, y, z samples with |a| as a fourth column, shape (n, 4); |a| is NaN or inf where
    any axis is."""
    rows = np.empty((xyz_g.shape[0], 4))
    rows[:, :3] = xyz_g
    rows[:, 3] = magnitude_g(xyz_g)
    return rows


def finite_rows(rows: np.ndarray) -> np.ndarray:
    """The `motion_rows` whose axes are all finite."""
    finite = np.isfinite(rows[:, 3])
    return rows if finite.all() else rows[finite]


def motion_output(n: int, mean: np.ndarray, sd: np.ndarray, params: AccParams) -> ExtractorOutput:
    """Features from the count, mean and SD of the `motion_rows` columns of a window."""
    out = ExtractorOutput()
    if n < 2:
        out.reasons["acc"] = "fewer than 2 accelerometer samples"
        return out
    means, sds = mean.tolist(), sd.tolist()
    out.values["acc_magnitude_mean_g"] = means[3]
    out.values["acc_magnitude_sd_g"] = sds[3]
    if params.per_axis:
        for k, axis in enumerate(AXES):
            out.values[f"acc_{axis}_mean_g"] = means[k]
            out.values[f"acc_{axis}_sd_g"] = sds[k]
    return out


def acc_features(
    timestamps: np.ndarray, xyz_g: np.ndarray, t_start: float, t_end: float, params: AccParams
) -> ExtractorOutput:
    """Mean and SD of |a| over the window's finite samples (movement raises the SD); with
    `params.per_axis`, also the mean and SD of x, y and z."""
    rows = finite_rows(motion_rows(xyz_g[in_window(timestamps, t_start, t_end)]))
    if rows.shape[0] < 2:
        return motion_output(rows.shape[0], rows[:0], rows[:0], params)
    return motion_output(rows.shape[0], rows.mean(axis=0), rows.std(axis=0), params)


@register
class AccExtractor(Extractor):
    """Motion intensity (and orientation) from an ACC stream with x, y, z in g."""

    name = "acc"
    kinds = ("ACC",)
    Params = AccParams

    def __init__(self, spec: StreamSpec, params: AccParams, history_s: float = MAX_HISTORY_S):
        super().__init__(spec, params, history_s)
        self.reset()

    def reset(self) -> None:
        self._rows = history(self.spec.rate_hz, 4, self.history_s)  # x, y, z, |a|
        self._moments = SlidingMoments(4)
        #: (t_start, t_end] of the rows the moments hold; None: rebuild at the next window
        self._span: tuple[float, float] | None = None

    def update(self, timestamps: np.ndarray, data: np.ndarray) -> None:
        if self._span is not None and timestamps.size and timestamps[0] <= self._span[1]:
            self._span = None  # late rows inside the span held: sum the next window afresh
        self._rows.write(timestamps, motion_rows(data[:, :3].astype(float)))

    def compute(self, window: Window, key: str) -> ExtractorOutput:
        t_start, t_end = window.t_start, window.t_end
        span = self._span
        if (
            span is None
            or self._moments.stale
            or not span[0] <= t_start <= span[1] <= t_end
            or (self._rows.first_index > 0 and self._rows.oldest_s > span[0])
        ):
            self._moments.rebuild(self._between(t_start, t_end))
        else:  # slide: drop the rows that left, add the rows that came in
            self._moments.remove(self._between(span[0], t_start))
            self._moments.add(self._between(span[1], t_end))
        self._span = (t_start, t_end)
        n = self._moments.n
        if n < 2:
            return motion_output(n, np.empty(0), np.empty(0), self.params)
        return motion_output(n, self._moments.mean(), self._moments.sd(), self.params)

    def _between(self, t_from: float, t_to: float) -> np.ndarray:
        return finite_rows(self._rows.view_between(t_from, t_to)[1])
