"""Per-subject baseline statistics."""

from __future__ import annotations

import numpy as np
import pytest

from emostream.models.baseline import EwVar, SubjectBaseline


def test_ew_statistics_equal_plain_ones_when_nothing_is_forgotten():
    x = np.random.default_rng(0).normal(3.0, 2.0, 500)
    stat = EwVar(tau_s=1e12)
    for i, v in enumerate(x):
        stat.update(float(v), float(i))
    assert stat.mean == pytest.approx(np.mean(x))
    assert stat.var == pytest.approx(np.var(x))


def test_ew_baseline_settles_after_a_lasting_shift_the_cumulative_one_does_not():
    rng = np.random.default_rng(1)
    level = np.concatenate([np.zeros(1800), np.full(1800, 5.0)]) + rng.normal(0, 0.5, 3600)
    cumulative, forgetting = SubjectBaseline(), SubjectBaseline(tau_s=300.0)
    for t, v in enumerate(level):
        cumulative.update({"eda_scl_us": float(v)}, float(t))
        forgetting.update({"eda_scl_us": float(v)}, float(t))
    now = {"eda_scl_us": 5.0}
    assert abs(forgetting.zscores(now)["eda_scl_us"]) < 0.5 < cumulative.zscores(now)["eda_scl_us"]


def test_baseline_phase_is_the_reference_once_long_enough():
    base = SubjectBaseline(mode="baseline-phase", min_baseline_windows=10)
    rng = np.random.default_rng(2)
    for t in range(10):
        base.update({"hr_bpm": 60 + rng.normal()}, float(t), in_baseline_phase=True)
    for t in range(10, 100):
        base.update({"hr_bpm": 90 + rng.normal()}, float(t))
    assert base.zscores({"hr_bpm": 90.0})["hr_bpm"] > 10


def test_no_spread_means_no_zscore():
    base = SubjectBaseline()
    base.update({"temp_c": 33.0}, 0.0)
    assert base.zscores({"temp_c": 33.0}) == {}
    base.update({"temp_c": 33.0}, 1.0)
    assert base.zscores({"temp_c": 33.0}) == {}


def test_session_scale_centres_on_the_baseline_and_divides_by_the_sessions_spread():
    rng = np.random.default_rng(3)
    quiet = 2.0 + rng.normal(0, 0.01, 30)  # a quiet baseline: its spread is tiny
    session = np.concatenate([quiet, 2.0 + rng.normal(1.0, 0.5, 120)])
    by_baseline = SubjectBaseline(mode="baseline-phase", min_baseline_windows=30)
    by_session = SubjectBaseline(mode="baseline-phase", min_baseline_windows=30, scale="session")
    for t, v in enumerate(session):
        for base in (by_baseline, by_session):
            base.update({"eda_scl_us": float(v)}, float(t), in_baseline_phase=t < 30)
    now = {"eda_scl_us": 3.0}
    expected = (3.0 - np.mean(quiet)) / np.std(session, ddof=1)
    assert by_session.zscores(now)["eda_scl_us"] == pytest.approx(expected)
    assert by_baseline.zscores(now)["eda_scl_us"] == pytest.approx(
        (3.0 - np.mean(quiet)) / np.std(quiet, ddof=1)
    )


def test_a_forgetting_phase_centre_is_the_phases_end_and_its_spread_the_whole_phases():
    rng = np.random.default_rng(4)
    # skin conductance still settling: rising for 4 minutes, then flat at 2.5 µS
    settling = np.concatenate([np.linspace(0.6, 2.5, 240), np.full(240, 2.5)])
    phase = settling + rng.normal(0, 0.02, settling.size)
    plain = SubjectBaseline(mode="baseline-phase")
    recent = SubjectBaseline(mode="baseline-phase", phase_tau_s=60.0)
    for t, v in enumerate(phase):
        for base in (plain, recent):
            base.update({"eda_scl_us": float(v)}, float(t), in_baseline_phase=True)
    for base in (plain, recent):  # after the phase: no longer part of the reference
        base.update({"eda_scl_us": 9.0}, 500.0)
    now = {"eda_scl_us": 2.5}
    sd = np.std(phase, ddof=1)
    assert plain.zscores(now)["eda_scl_us"] == pytest.approx((2.5 - np.mean(phase)) / sd)
    assert abs(recent.zscores(now)["eda_scl_us"]) < 0.05
    assert recent.zscores({"eda_scl_us": 2.5 + sd})["eda_scl_us"] == pytest.approx(1.0, abs=0.05)
