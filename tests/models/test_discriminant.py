"""The linear discriminant learner: equal to scikit-learn's LDA, order-free, MAP per wearer."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

from emostream.models import discriminant
from emostream.models.discriminant import GaussianDiscriminant
from emostream.models.state import FloatPool, dump_state, restore_state

CLASSES = ("calm", "stress", "fun")
NAMES = ("a", "b", "c")


def _data(seed: int, n: int = 300) -> tuple[np.ndarray, list[str]]:
    rng = np.random.default_rng(seed)
    y = [CLASSES[i % 3] for i in range(n)]
    centre = {"calm": [0, 0, 0], "stress": [2, 1, 0], "fun": [0.5, -1, 1]}
    cov = np.array([[1.0, 0.5, 0.0], [0.5, 1.0, 0.3], [0.0, 0.3, 1.0]])
    x = np.array([rng.multivariate_normal(centre[c], cov) for c in y])
    return x, y


def _rows(x: np.ndarray) -> list[dict[str, float]]:
    return [dict(zip(NAMES, row, strict=True)) for row in x]


def test_probabilities_equal_scikit_learn_lda(monkeypatch):
    monkeypatch.setattr(discriminant, "RIDGE", 0.0)
    x, y = _data(1)
    model = GaussianDiscriminant(CLASSES, shrinkage=0.0)
    for row, label in zip(_rows(x), y, strict=True):
        model.learn_one(row, label)
    reference = LinearDiscriminantAnalysis(solver="lsqr", priors=[1 / 3] * 3).fit(x, y)
    test, _ = _data(2, 50)
    expected = reference.predict_proba(test)
    for row, want in zip(_rows(test), expected, strict=True):
        got = model.predict_proba_one(row)
        assert [got[c] for c in reference.classes_] == pytest.approx(want, abs=1e-9)


def test_learning_order_and_sessions_do_not_change_the_population():
    x, y = _data(3)
    rows = list(zip(_rows(x), y, strict=True))
    one = GaussianDiscriminant(CLASSES)
    for row, label in rows:
        one.learn_one(row, label)
    one.new_session()
    split = GaussianDiscriminant(CLASSES)
    for part in (rows[::-1][:100], rows[::-1][100:]):
        for row, label in part:
            split.learn_one(row, label)
        split.new_session()
    assert split.population.count == pytest.approx(one.population.count)
    probe = {"a": 0.7, "b": -0.2, "c": 0.4}
    assert split.predict_proba_one(probe) == pytest.approx(one.predict_proba_one(probe))


def test_a_wearers_labels_move_their_class_means_by_map_weight():
    x, y = _data(4)
    model = GaussianDiscriminant(CLASSES, prior_windows=30.0)
    for row, label in zip(_rows(x), y, strict=True):
        model.learn_one(row, label)
    model.new_session()
    population = model.class_means().copy()
    shift = np.array([1.0, 1.0, 0.0])
    for _ in range(10):  # ten stress windows of a wearer whose stress sits elsewhere
        model.learn_one(dict(zip(NAMES, population[1] + shift, strict=True)), "stress")
    means = model.class_means()
    assert means[1] == pytest.approx(population[1] + shift * 10 / 40)
    assert means[0] == pytest.approx(population[0])  # unlabelled classes keep the population's
    model.new_session()  # the next wearer starts from the population, which now includes them
    assert model.wearer.count.sum() == 0


def test_state_round_trip_predicts_identically():
    x, y = _data(5)
    model = GaussianDiscriminant(CLASSES)
    for row, label in zip(_rows(x[:200]), y[:200], strict=True):
        model.learn_one(row, label)
    model.new_session()
    for row, label in zip(_rows(x[200:]), y[200:], strict=True):
        model.learn_one(row, label)
    pool = FloatPool()
    node = dump_state(model, pool)
    copy = GaussianDiscriminant(CLASSES)
    restore_state(copy, node, FloatPool(pool.array()))
    probe = {"a": 0.3, "c": -1.0}
    assert copy.predict_proba_one(probe) == model.predict_proba_one(probe)
    copy.learn_one(probe, "fun")
    model.learn_one(probe, "fun")
    assert copy.predict_proba_one(probe) == model.predict_proba_one(probe)


def test_untrained_and_unknown_class():
    model = GaussianDiscriminant(CLASSES)
    assert model.predict_proba_one({"a": 1.0}) == {}
    with pytest.raises(ValueError, match="unknown class"):
        model.learn_one({"a": 1.0}, "sad")
