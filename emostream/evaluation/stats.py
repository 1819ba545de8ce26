"""Scores of one subject, and confidence intervals over subjects.

Subjects are the unit of replication: a mean over subjects gets a percentile bootstrap 95%
interval by resampling subjects, and a claim that protocol A beats protocol B gets the
interval of the mean per-subject difference (paired: the same subjects resampled for both).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

N_BOOTSTRAP = 2000
#: reliability-diagram bins of the expected calibration error
N_CALIBRATION_BINS = 10


def score(truth: Sequence[str], predicted: Sequence[str]) -> dict[str, float]:
    """Balanced accuracy, plain accuracy and macro-F1 of one subject's labelled windows."""
    from sklearn.metrics import accuracy_score, f1_score

    labels = sorted(set(truth))
    return {
        "balanced_accuracy": balanced_accuracy(np.asarray(truth), np.asarray(predicted)),
        "accuracy": float(accuracy_score(truth, predicted)),
        "macro_f1": float(f1_score(truth, predicted, average="macro", labels=labels)),
        "n_windows": len(truth),
    }


def balanced_accuracy(truth: np.ndarray, predicted: np.ndarray) -> float:
    """Mean recall over the classes present in `truth` (a prediction of any other class, such
    as "unknown", counts as wrong): scikit-learn's
    `balanced_accuracy_score` without its input checks, which cost far more than the score
    on the many small sessions of a selection, and without importing scikit-learn."""
    classes, index = np.unique(truth, return_inverse=True)
    hits = np.bincount(index, weights=predicted == truth, minlength=classes.size)
    return float(np.mean(hits / np.bincount(index, minlength=classes.size)))


def bootstrap_ci(values: Sequence[float], *, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap 95% interval of the mean (resampling the values)."""
    x = np.asarray(values, dtype=float)
    if x.size < 2:
        return (float(x.mean()), float(x.mean())) if x.size else (float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, x.size, (N_BOOTSTRAP, x.size))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(low), float(high)


def summarise(per_subject: Mapping[str, Mapping[str, float]]) -> dict[str, Any]:
    """Mean (with bootstrap CI), minimum and worst subject of the per-subject scores."""
    if not per_subject:
        return {"balanced_accuracy_mean": None, "per_subject": {}}
    names = sorted(per_subject)
    bacc = [per_subject[s]["balanced_accuracy"] for s in names]
    worst = names[int(np.argmin(bacc))]
    return {
        "balanced_accuracy_mean": float(np.mean(bacc)),
        "balanced_accuracy_ci95": bootstrap_ci(bacc),
        "balanced_accuracy_min": float(np.min(bacc)),
        "worst_subject": worst,
        "accuracy_mean": float(np.mean([per_subject[s]["accuracy"] for s in names])),
        "macro_f1_mean": float(np.mean([per_subject[s]["macro_f1"] for s in names])),
        "per_subject": {s: dict(per_subject[s]) for s in names},
    }


def paired_difference(
    a: Mapping[str, Mapping[str, float]],
    b: Mapping[str, Mapping[str, float]],
    key: str = "balanced_accuracy",
) -> dict[str, Any]:
    """Mean per-subject difference a − b over the subjects both scored, with its 95% CI."""
    common = sorted(set(a) & set(b))
    diff = [a[s][key] - b[s][key] for s in common]
    if not diff:
        return {"mean": None, "ci95": None, "n_subjects": 0}
    return {
        "mean": float(np.mean(diff)),
        "ci95": bootstrap_ci(diff),
        "n_subjects": len(common),
        "n_better": int(sum(d > 0 for d in diff)),
    }


def brier_score(confidence: Sequence[float], correct: Sequence[bool]) -> float:
    """Mean squared gap between the top-class probability and whether that class was right
    (scikit-learn's `brier_score_loss` of the correctness). A proper score: it rewards a
    confidence that tells right windows from wrong ones, which the ECE does not (a constant
    at the accuracy has an ECE of 0)."""
    conf = np.asarray(confidence, dtype=float)
    if conf.size == 0:
        return float("nan")
    return float(np.mean((conf - np.asarray(correct, dtype=float)) ** 2))


def expected_calibration_error(
    confidence: Sequence[float], correct: Sequence[bool], n_bins: int = N_CALIBRATION_BINS
) -> tuple[float, list[dict[str, float]]]:
    """ECE of the top-class probability, and the reliability diagram's bins.

    Bins are equal-width on [0, 1]; the ECE is the window-weighted mean |accuracy − mean
    confidence| over the bins.
    """
    conf = np.asarray(confidence, dtype=float)
    hit = np.asarray(correct, dtype=float)
    if conf.size == 0:
        return float("nan"), []
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    index = np.clip(np.searchsorted(edges, conf, side="right") - 1, 0, n_bins - 1)
    ece = 0.0
    bins = []
    for k in range(n_bins):
        inside = index == k
        n = int(inside.sum())
        if not n:
            continue
        mean_conf, accuracy = float(conf[inside].mean()), float(hit[inside].mean())
        ece += n / conf.size * abs(accuracy - mean_conf)
        bins.append(
            {
                "low": float(edges[k]),
                "high": float(edges[k + 1]),
                "n": n,
                "confidence": mean_conf,
                "accuracy": accuracy,
            }
        )
    return float(ece), bins
