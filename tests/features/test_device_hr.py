"""Device-reported heart rate: window mean and spread of the plausible readings only."""

from __future__ import annotations

import numpy as np
import pytest

from emostream.features.hr import HrExtractor, HrParams, hr_features

from .conftest import Span, spec


def test_implausible_readings_are_left_out_of_mean_and_spread():
    ts = np.arange(1.0, 61.0)  # the E4 reports HR once a second
    hr = 72.0 + 6.0 * np.sin(ts / 7.0)
    reported = hr.copy()
    reported[10:14] = 0.0  # no pulse found: the device reports 0
    reported[30] = np.nan
    reported[45] = 260.0
    plausible = np.ones(ts.size, dtype=bool)
    plausible[[10, 11, 12, 13, 30, 45]] = False

    out = hr_features(ts, reported, 0.0, 60.0, HrParams())
    assert out.quality["hr"] == pytest.approx(plausible.mean())
    assert out.values["hr_device_bpm"] == pytest.approx(hr[plausible].mean(), rel=1e-12)
    assert out.values["hr_device_sd_bpm"] == pytest.approx(hr[plausible].std(), rel=1e-12)

    extractor = HrExtractor(spec("HR", 1.0, "bpm"), HrParams())
    for i in range(0, ts.size, 7):
        extractor.update(ts[i : i + 7], reported[i : i + 7, None])
    assert extractor.compute(Span(0.0, 60.0), "hr").values == out.values


def test_a_window_of_mostly_lost_pulse_has_no_heart_rate():
    ts = np.arange(1.0, 61.0)
    reported = np.zeros(ts.size)
    reported[:20] = 70.0
    out = hr_features(ts, reported, 0.0, 60.0, HrParams())
    assert out.values == {} and out.quality["hr"] == pytest.approx(1 / 3) and "hr" in out.reasons
