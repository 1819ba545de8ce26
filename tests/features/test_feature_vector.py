"""A window's flat row: the stable column names that features.parquet, the Features outlet and
the session report rely on; absent features stay absent."""

from __future__ import annotations

import pandas as pd

from emostream.features.base import FeatureVector
from emostream.report.quality import window_quality


def _window(t_end: float, staleness_ppg: float) -> FeatureVector:
    return FeatureVector(
        t_end - 60.0,
        t_end,
        values={"hr_bpm": 71.25},
        quality={"ppg": 0.5},
        coverage={"ppg": 1.0},
        flags={"ppg": ("gap",)},
        reasons={"hrv": "quality_ppg 0.50 < 0.60"},
        markers=[(t_end - 1.0, "phase:baseline:start")],
        staleness={"ppg": staleness_ppg},
    )


def test_row_has_the_stable_column_names_and_nothing_else():
    assert _window(60.0, 0.25).row() == {
        "t_start": 0.0,
        "t_end": 60.0,
        "hr_bpm": 71.25,
        "quality_ppg": 0.5,
        "coverage_ppg": 1.0,
        "staleness_ppg_s": 0.25,
    }
    # an absent feature is an absent column, never 0 or NaN
    assert FeatureVector(0.0, 60.0).row() == {"t_start": 0.0, "t_end": 60.0}


def test_the_report_reads_coverage_and_staleness_from_the_rows():
    rows = pd.DataFrame([_window(60.0, 0.25).row(), _window(61.0, 2.0).row()])
    (ppg,) = window_quality(rows)
    assert ppg.key == "ppg" and ppg.coverage_min == 1.0
    assert ppg.staleness_mean_s == 1.125 and ppg.staleness_max_s == 2.0
