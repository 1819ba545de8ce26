"""Top-label calibration: the predicted class stays on top, and a known miscalibration is recovered."""

from __future__ import annotations

import math

import numpy as np
import pytest

from emostream.evaluation.outputs import top_label
from emostream.evaluation.stats import expected_calibration_error
from emostream.models.calibration import TopLabelCalibration, fit_top_label


def test_identity_changes_nothing_and_others_keep_their_proportions():
    p = {"a": 0.6, "b": 0.3, "c": 0.1}
    assert TopLabelCalibration().apply(p) == p
    soft = TopLabelCalibration(slope=0.5, intercept=0.0).apply(p)
    assert soft["a"] == pytest.approx(1 / (1 + math.sqrt(0.4 / 0.6)))
    assert soft["b"] / soft["c"] == pytest.approx(3.0)
    assert sum(soft.values()) == pytest.approx(1.0)


@pytest.mark.parametrize(
    "proba",
    [{"a": 0.40, "b": 0.39, "c": 0.21}, {"a": 0.34, "b": 0.33, "c": 0.33}, {"a": 1.0, "b": 0.0}],
)
def test_no_class_overtakes_the_top_one(proba):
    for calibration in (TopLabelCalibration(0.05, -10.0), TopLabelCalibration(20.0, 10.0)):
        out = calibration.apply(proba)
        assert sum(out.values()) == pytest.approx(1.0)
        assert all(out["a"] >= v - 1e-12 for v in out.values())


@pytest.mark.parametrize(("slope", "intercept"), [(0.5, 0.6), (2.0, -0.5)])
def test_fit_recovers_the_miscalibration_that_generated_the_outcomes(slope, intercept):
    rng = np.random.default_rng(0)
    probas, labels = [], []
    for _ in range(6000):
        p = dict(zip("abc", rng.dirichlet([0.6, 0.6, 0.6]), strict=True))
        top = max(p, key=p.__getitem__)
        z = slope * math.log(p[top] / (1.0 - p[top])) + intercept
        right = rng.random() < 1.0 / (1.0 + math.exp(-z))
        probas.append(p)
        labels.append(top if right else next(c for c in p if c != top))
    fitted = fit_top_label(probas, labels)
    assert fitted.slope == pytest.approx(slope, rel=0.15)
    assert fitted.intercept == pytest.approx(intercept, abs=0.15)
    ece_raw, _ = expected_calibration_error(*top_label(probas, labels))
    ece_fit, _ = expected_calibration_error(*top_label(probas, labels, fitted))
    assert ece_fit < ece_raw / 2


def test_too_few_windows_leave_the_probabilities_alone():
    assert fit_top_label([{"a": 0.9, "b": 0.1}], ["b"]).is_identity
