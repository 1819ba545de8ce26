"""Quality and coverage of each stream of a session: what arrived, what was missing or wrong."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: a step between timestamps longer than this many sample periods (and than GAP_MIN_S) is a gap
GAP_PERIODS = 5.0
GAP_MIN_S = 0.5


@dataclass(frozen=True, slots=True)
class StreamQuality:
    key: str
    kind: str
    rate_hz: float
    n_samples: int
    span_s: float
    #: samples received / samples the nominal rate promises over the span (regular streams)
    completeness: float | None
    n_gaps: int
    gap_s: float
    #: samples with a non-finite timestamp or value
    n_nonfinite: int
    #: timestamps earlier than the one before them
    n_out_of_order: int


@dataclass(frozen=True, slots=True)
class WindowQuality:
    """What the pipeline's windows saw of one stream: coverage and staleness, mean and worst."""

    key: str
    coverage_mean: float | None
    coverage_min: float | None
    staleness_mean_s: float | None
    staleness_max_s: float | None


def stream_quality(
    key: str, kind: str, rate_hz: float, timestamps: np.ndarray, data: np.ndarray
) -> StreamQuality:
    ts = np.asarray(timestamps, dtype=np.float64)
    n = len(ts)
    bad = ~np.isfinite(ts)
    if data.dtype.kind == "f" and data.size:
        bad |= ~np.isfinite(data).all(axis=1)
    good = ts[np.isfinite(ts)]
    steps = np.diff(good)
    span_s = float(good.max() - good.min()) if len(good) else 0.0
    n_gaps, gap_s, completeness = 0, 0.0, None
    if rate_hz > 0 and len(good) > 1:
        period_s = 1.0 / rate_hz
        long = steps[steps > max(GAP_PERIODS * period_s, GAP_MIN_S)]
        n_gaps, gap_s = len(long), float(np.sum(long - period_s))
        completeness = min(1.0, n / (span_s * rate_hz + 1.0))
    return StreamQuality(
        key,
        kind,
        rate_hz,
        n,
        span_s,
        completeness,
        n_gaps,
        gap_s,
        int(bad.sum()),
        int((steps < 0).sum()),
    )


def _stat(frame: pd.DataFrame, column: str, how: str) -> float | None:
    if column not in frame or not frame[column].notna().any():
        return None
    return float(getattr(frame[column], how)())


def window_quality(features: pd.DataFrame) -> list[WindowQuality]:
    """One entry per stream named by a `coverage_<key>` or `staleness_<key>_s` column."""
    keys = [c.removeprefix("coverage_") for c in features.columns if c.startswith("coverage_")]
    keys += [
        c.removeprefix("staleness_").removesuffix("_s")
        for c in features.columns
        if c.startswith("staleness_") and c.endswith("_s")
    ]
    return [
        WindowQuality(
            key,
            _stat(features, f"coverage_{key}", "mean"),
            _stat(features, f"coverage_{key}", "min"),
            _stat(features, f"staleness_{key}_s", "mean"),
            _stat(features, f"staleness_{key}_s", "max"),
        )
        for key in dict.fromkeys(keys)
    ]
