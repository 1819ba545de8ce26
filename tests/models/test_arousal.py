"""The unsupervised arousal index: signed baseline z-scores of the sympathetic markers."""

from __future__ import annotations

import pytest

from emostream.models.arousal import arousal_index


def test_lower_hrv_raises_arousal_as_higher_conductance_and_heart_rate_do():
    assert arousal_index({"hrv_rmssd_ms": -2.0}) == 2.0
    assert arousal_index({"eda_scl_us": 1.5, "eda_scr_count": 0.5, "hr_bpm": 1.0}) == 1.0
    assert arousal_index({"hr_bpm": 1.0, "hrv_rmssd_ms": 1.0}) == 0.0


def test_only_the_terms_present_count_and_others_are_ignored():
    assert arousal_index({"hr_bpm": 2.0, "acc_mag_mean_g": 9.0}) == pytest.approx(2.0)
    assert arousal_index({"acc_mag_mean_g": 9.0}) is None
