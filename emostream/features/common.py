"""Settings and small helpers shared by the extractors."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from emostream.config import check_range


@dataclass(frozen=True)
class CommonParams:
    """Settings every extractor has.

    `stream`: key of the input stream (e.g. "ppg"); empty = the first stream of an accepted kind.
    `min_quality`: below this signal quality the dependent features are absent.
    `min_coverage`: below this fraction of the window present, the features are absent.
    """

    stream: str = ""
    min_quality: float = 0.5
    min_coverage: float = 0.8

    def __post_init__(self) -> None:
        check_range("min_quality", self.min_quality, 0.0, 1.0)
        check_range("min_coverage", self.min_coverage, 0.0, 1.0)


def in_window(timestamps: np.ndarray, t_start: float, t_end: float) -> slice:
    """Index range of sorted `timestamps` inside (t_start, t_end]."""
    lo, hi = np.searchsorted(timestamps, (t_start, t_end), side="right")
    return slice(int(lo), int(hi))


def slope_per_min(timestamps: np.ndarray, values: np.ndarray) -> float:
    """Least-squares slope of `values` against time, per minute."""
    t = timestamps - timestamps.sum() / timestamps.size
    return float(np.dot(t, values) / np.dot(t, t) * 60.0)  # sum(t) = 0: no need to centre values
