"""Skin temperature: level and slope per window, with a plausibility-based quality."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from emostream.core.spec import StreamSpec
from emostream.features.base import MAX_HISTORY_S, Extractor, ExtractorOutput
from emostream.features.common import CommonParams, in_window, slope_per_min
from emostream.features.dsp import history
from emostream.features.registry import register
from emostream.windowing import Window

#: plausible skin temperature on a worn sensor, °C
TEMP_MIN_C, TEMP_MAX_C = 20.0, 43.0
#: faster changes are contact artifacts, °C per second
MAX_JUMP_C_PER_S = 1.0


@dataclass(frozen=True)
class TempParams(CommonParams):
    """Skin temperature settings (only the common ones)."""


def temp_features(
    timestamps: np.ndarray, temp_c: np.ndarray, t_start: float, t_end: float, params: TempParams
) -> ExtractorOutput:
    """Mean temperature and its least-squares slope over the window's plausible samples."""
    out = ExtractorOutput()
    sl = in_window(timestamps, t_start, t_end)
    ts, x = timestamps[sl], temp_c[sl]
    ok = (x >= TEMP_MIN_C) & (x <= TEMP_MAX_C)  # NaN fails both
    if x.size > 1:
        ok[1:] &= np.abs(x[1:] - x[:-1]) <= MAX_JUMP_C_PER_S * (ts[1:] - ts[:-1])
    n_ok = int(np.count_nonzero(ok))
    quality = n_ok / x.size if x.size else 0.0
    out.quality["temp"] = quality
    if quality < params.min_quality or n_ok < 2:
        out.reasons["temp"] = f"quality_temp {quality:.2f} < {params.min_quality:.2f}"
        return out
    if n_ok < x.size:
        ts, x = ts[ok], x[ok]
    out.values["temp_c"] = float(x.sum()) / n_ok
    out.values["temp_slope_c_per_min"] = slope_per_min(ts, x)
    return out


@register
class TempExtractor(Extractor):
    """Skin temperature level and slope from a TEMP stream in °C."""

    name = "temp"
    kinds = ("TEMP",)
    Params = TempParams

    def __init__(self, spec: StreamSpec, params: TempParams, history_s: float = MAX_HISTORY_S):
        super().__init__(spec, params, history_s)
        self.reset()

    def reset(self) -> None:
        self._samples = history(self.spec.rate_hz, 1, self.history_s)

    def update(self, timestamps: np.ndarray, data: np.ndarray) -> None:
        self._samples.write(timestamps, data[:, :1])

    def compute(self, window: Window, key: str) -> ExtractorOutput:
        ts, data = self._samples.between(window.t_start, window.t_end)
        return temp_features(ts, data[:, 0], window.t_start, window.t_end, self.params)
