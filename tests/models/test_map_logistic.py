"""The MAP logistic learner: equal to scikit-learn's balanced logistic regression, order-free,
and a wearer's labels pull its weights away from the population's by MAP weight."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from emostream.models.config import ModelConfig
from emostream.models.learners import build_classifier
from emostream.models.map_logistic import MapLogisticRegression

CLASSES = ("calm", "stress", "fun")
NAMES = ("a", "b", "c")


def _data(seed: int, n: int = 300, counts=(3, 1, 1)) -> tuple[np.ndarray, list[str]]:
    """Overlapping Gaussian classes, calm three times as frequent as the others."""
    rng = np.random.default_rng(seed)
    pattern = [c for c, k in zip(CLASSES, counts, strict=True) for _ in range(k)]
    y = [pattern[i % len(pattern)] for i in range(n)]
    centre = {"calm": [0, 0, 0], "stress": [1.5, 1, 0], "fun": [0.5, -1, 1]}
    x = np.array([rng.normal(centre[c], 1.0) for c in y])
    return x, y


def _rows(x: np.ndarray) -> list[dict[str, float]]:
    return [dict(zip(NAMES, row, strict=True)) for row in x]


def _trained(x: np.ndarray, y: list[str], **params) -> MapLogisticRegression:
    model = MapLogisticRegression(CLASSES, **params)
    for row, label in zip(_rows(x), y, strict=True):
        model.learn_one(row, label)
    model.new_session()
    return model


def _proba(model: MapLogisticRegression, x: np.ndarray) -> np.ndarray:
    return np.array([[model.predict_proba_one(r)[c] for c in CLASSES] for r in _rows(x)])


def test_probabilities_equal_scikit_learn_balanced_logistic_regression():
    x, y = _data(1)
    model = _trained(x, y, c=0.5)
    reference = LogisticRegression(C=0.5, class_weight="balanced", tol=1e-10, max_iter=10_000)
    reference.fit(x, y)
    test, _ = _data(2, 60)
    order = [list(reference.classes_).index(c) for c in CLASSES]
    assert _proba(model, test) == pytest.approx(reference.predict_proba(test)[:, order], abs=2e-3)


def test_learning_order_and_sessions_do_not_change_the_population():
    x, y = _data(3)
    one = _trained(x, y)
    split = MapLogisticRegression(CLASSES)
    rows = list(zip(_rows(x), y, strict=True))[::-1]
    for part in (rows[:100], rows[100:]):
        for row, label in part:
            split.learn_one(row, label)
        split.new_session()
    probe, _ = _data(4, 20)
    assert _proba(split, probe) == pytest.approx(_proba(one, probe), abs=1e-4)


def test_a_wearers_labels_move_the_weights_by_map_weight():
    x, y = _data(5)
    loose = _trained(x, y, prior_windows=1.0)
    tight = _trained(x, y, prior_windows=1e6)
    population = loose.population_theta.copy()
    before = float(_proba(loose, np.zeros((1, 3)))[0, 1])
    # this wearer's stress sits where the population has calm, and their calm further out
    rng = np.random.default_rng(6)
    for model in (loose, tight):
        for row in _rows(rng.normal([0, 0, 0], 0.3, size=(40, 3))):
            model.learn_one(row, "stress")
        for row in _rows(rng.normal([-2, -1, 0], 0.3, size=(40, 3))):
            model.learn_one(row, "calm")
    at_origin = {"a": 0.0, "b": 0.0, "c": 0.0}
    assert loose.predict_proba_one(at_origin)["stress"] > before + 0.3
    assert tight.predict_proba_one(at_origin)["stress"] == pytest.approx(before, abs=1e-3)
    # the class this wearer has not labelled keeps the population's weights
    assert loose.theta[CLASSES.index("fun")] == pytest.approx(population[CLASSES.index("fun")])
    loose.new_session()  # the next wearer starts from the population, which now includes them
    assert loose.wearer.size == 0
    assert not np.allclose(loose.population_theta, population)


def test_intercepts_only_shifts_the_boundaries_without_turning_them():
    x, y = _data(10)
    model = _trained(x, y, prior_windows=5.0, intercepts_only=True)
    population = model.population_theta.copy()
    rng = np.random.default_rng(11)  # this wearer reads as stress where the population has calm
    own = np.vstack((rng.normal([0, 0, 0], 0.3, (40, 3)), rng.normal([-2, -1, 0], 0.3, (20, 3))))
    labels = ["stress"] * 40 + ["calm"] * 20
    for row, label in zip(_rows(own), labels, strict=True):
        model.learn_one(row, label)
    model.predict_proba_one({"a": 0.0})  # refit
    theta = model.theta
    assert theta[:, :-1] == pytest.approx(population[:, :-1])  # no weight turned
    assert theta[CLASSES.index("fun")] == pytest.approx(population[CLASSES.index("fun")])
    # the MAP optimum: log-loss gradient of the labelled classes' intercepts (among those
    # classes) balances the prior's pull, computed here without the learner's code
    both = [CLASSES.index("calm"), CLASSES.index("stress")]
    logits = own @ theta[both, :-1].T + theta[both, -1]
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    onehot = np.array([[label == "calm", label == "stress"] for label in labels], dtype=float)
    gradient = (p - onehot).sum(axis=0) + 5.0 * (theta[both, -1] - population[both, -1])
    assert gradient == pytest.approx(0.0, abs=1e-3)
    shift = theta[both, -1] - population[both, -1]
    assert shift[1] - shift[0] > 0.5  # stress more likely for this wearer everywhere


@pytest.mark.parametrize("mode", ["weights", "intercepts"])
def test_the_model_table_chooses_what_a_wearers_labels_move(mode):
    learner = build_classifier(ModelConfig(learner="map-logistic", personalise=mode))
    assert learner.intercepts_only is (mode == "intercepts")


def test_one_labelled_class_alone_changes_nothing():
    x, y = _data(8)
    model = _trained(x, y, prior_windows=1.0)
    probe, _ = _data(9, 20)
    before = _proba(model, probe)
    for row in _rows(np.zeros((50, 3))):
        model.learn_one(row, "calm")
    assert _proba(model, probe) == pytest.approx(before)


def test_features_first_seen_later_are_added_with_zero_weight():
    x, y = _data(7)
    model = _trained(x, y)
    model.learn_one({"a": 0.1, "b": 0.2, "c": 0.3, "d": 5.0}, "stress")
    assert model.feature_names == [*NAMES, "d"]
    p = model.predict_proba_one({"a": 0.1, "b": 0.2, "c": 0.3, "d": 5.0})
    assert sum(p.values()) == pytest.approx(1.0)


def test_unseen_classes_get_no_probability():
    model = MapLogisticRegression(CLASSES)
    assert model.predict_proba_one({"a": 1.0}) == {}
    for v in (-1.0, -0.5, 0.5, 1.0):
        model.learn_one({"a": v}, "calm" if v < 0 else "stress")
    p = model.predict_proba_one({"a": 2.0})
    assert p["fun"] == 0.0
    assert p["stress"] > p["calm"]


def _blas_threads() -> set[int]:
    from threadpoolctl import threadpool_info

    return {i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}


def test_the_fit_runs_on_one_blas_thread_and_restores_the_setting(monkeypatch):
    from threadpoolctl import threadpool_limits

    from emostream.models import map_logistic

    seen: list[set[int]] = []
    loss = map_logistic.softmax_loss

    def recorded(*args, **kwargs):
        seen.append(_blas_threads())
        return loss(*args, **kwargs)

    monkeypatch.setattr(map_logistic, "softmax_loss", recorded)
    with threadpool_limits(limits=2, user_api="blas"):  # what a 2-core machine starts with
        x, y = _data(5)
        _trained(x, y)
        after = _blas_threads()
    assert seen and all(threads == {1} for threads in seen)
    assert after == {2}
