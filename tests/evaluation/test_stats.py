"""Scores, bootstrap intervals over subjects, paired differences and calibration error."""

from __future__ import annotations

import numpy as np
import pytest

from emostream.evaluation import stats


def test_score_of_a_perfect_and_a_constant_prediction():
    truth = ["a"] * 8 + ["b"] * 2
    assert stats.score(truth, truth)["balanced_accuracy"] == 1.0
    constant = stats.score(truth, ["a"] * 10)
    assert constant["balanced_accuracy"] == 0.5  # chance, although accuracy is 0.8
    assert constant["accuracy"] == pytest.approx(0.8)


@pytest.mark.filterwarnings("ignore:y_pred contains classes not in y_true")
def test_balanced_accuracy_equals_scikit_learns():
    from sklearn.metrics import balanced_accuracy_score

    rng = np.random.default_rng(7)
    classes = np.array(["baseline", "stress", "amusement", "meditation"])
    for n_classes in (2, 3, 4):
        for _ in range(50):
            n = int(rng.integers(1, 300))
            truth = classes[rng.integers(0, n_classes, n)]
            # predictions also name classes the truth lacks, as a general model's may
            predicted = np.where(rng.random(n) < 0.6, truth, classes[rng.integers(0, 4, n)])
            assert stats.balanced_accuracy(truth, predicted) == pytest.approx(
                balanced_accuracy_score(truth, predicted), abs=1e-12
            )


def test_bootstrap_interval_brackets_the_mean_and_narrows_with_agreement():
    rng = np.random.default_rng(3)
    spread = rng.normal(0.7, 0.1, 20)
    low, high = stats.bootstrap_ci(spread)
    assert low < spread.mean() < high
    tight_low, tight_high = stats.bootstrap_ci(0.7 + 0.01 * (spread - 0.7))
    assert tight_high - tight_low < (high - low) / 5


def test_paired_difference_sees_a_consistent_small_gain():
    rng = np.random.default_rng(4)
    base = rng.uniform(0.5, 0.9, 15)
    a = {f"S{i}": {"balanced_accuracy": v + 0.02} for i, v in enumerate(base)}
    b = {f"S{i}": {"balanced_accuracy": v} for i, v in enumerate(base)}
    diff = stats.paired_difference(a, b)
    assert diff["mean"] == pytest.approx(0.02)
    assert diff["ci95"][0] > 0  # paired: the subjects' spread cancels
    unpaired_low, _ = stats.bootstrap_ci(base + 0.02)
    assert unpaired_low < base.mean()  # while unpaired intervals overlap


def test_calibration_error_of_calibrated_and_overconfident_predictions():
    rng = np.random.default_rng(5)
    conf = rng.uniform(0.5, 1.0, 20000)
    calibrated = rng.uniform(size=conf.size) < conf
    ece, bins = stats.expected_calibration_error(conf, calibrated)
    assert ece < 0.02
    assert sum(b["n"] for b in bins) == conf.size
    overconfident = rng.uniform(size=conf.size) < conf - 0.2
    assert stats.expected_calibration_error(conf, overconfident)[0] == pytest.approx(0.2, abs=0.02)
