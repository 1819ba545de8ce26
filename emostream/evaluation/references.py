"""Batch references scored on the same windows and folds as the online model.

- `time-only`: a shallow decision tree on the time since the session's first window. Where
  a protocol runs in a fixed order it predicts the label without any physiology; every
  figure is read next to it.
- `logistic`: class-balanced logistic regression on the online model's own causal
  per-subject z-scores (absent = 0, the wearer's baseline).
- `boosting`: histogram gradient boosting with class weights, absent features as missing
  values (handled natively).

The feature references' probabilities are smoothed across windows exactly as the online
model's are (`ProbabilitySmoother` with the model's `smoothing_s`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier
from threadpoolctl import threadpool_limits

from emostream.models.smoothing import ProbabilitySmoother


def _time_only(seed: int) -> Any:
    return DecisionTreeClassifier(
        max_depth=4, min_samples_leaf=20, class_weight="balanced", random_state=seed
    )


def _logistic(seed: int) -> Any:
    return LogisticRegression(C=0.1, class_weight="balanced", max_iter=1000, random_state=seed)


def _boosting(seed: int) -> Any:
    return HistGradientBoostingClassifier(
        max_iter=150,
        learning_rate=0.1,
        max_leaf_nodes=15,
        l2_regularization=1.0,
        class_weight="balanced",
        random_state=seed,
    )


#: reference name -> a fresh, unfitted estimator for a seed, in reporting order
REFERENCES: dict[str, Callable[[int], Any]] = {
    "time-only": _time_only,
    "logistic": _logistic,
    "boosting": _boosting,
}


def feature_matrix(
    xs: Sequence[dict[str, float]], names: Sequence[str], missing: float
) -> np.ndarray:
    """Rows of `xs` over the columns `names`; an absent feature is `missing`."""
    index = {n: i for i, n in enumerate(names)}
    out = np.full((len(xs), len(names)), missing)
    for row, x in enumerate(xs):
        for k, v in x.items():
            j = index.get(k)
            if j is not None:
                out[row, j] = v
    return out  # already clipped by the encoder (`[model] z_clip`), raw values untouched


def smoothed_predictions(
    proba: np.ndarray, classes: Sequence[str], t_end_s: Sequence[float], smoothing_s: float
) -> list[str]:
    """The most probable class of each window after the online model's causal smoothing."""
    smoother = ProbabilitySmoother(smoothing_s)
    out = []
    for t, row in zip(t_end_s, proba, strict=True):
        p = smoother.update(t, dict(zip(classes, row, strict=True)))
        out.append(max(p, key=p.__getitem__))
    return out


def fit_predict(
    name: str,
    train_x: np.ndarray,
    train_y: Sequence[str],
    test_x: np.ndarray,
    test_t_end_s: Sequence[float],
    smoothing_s: float,
    seed: int,
) -> list[str]:
    """Fit reference `name` on the training rows and predict the test session's windows.

    One thread: the folds are small, and OpenMP threads spinning on a busy machine cost far
    more than they give (parallelism belongs to sessions, not to one fit)."""
    model = REFERENCES[name](seed)
    with threadpool_limits(limits=1):
        model.fit(train_x, list(train_y))
        if name == "time-only":
            return [str(p) for p in model.predict(test_x)]
        proba = model.predict_proba(test_x)
    classes = [str(c) for c in model.classes_]
    return smoothed_predictions(proba, classes, test_t_end_s, smoothing_s)
