"""Multinomial logistic regression with a per-wearer MAP refit: exact, order-free learning.

The model keeps the windows it has learned, at two levels:
- the population: every window learned before the current session (other wearers, or this
  wearer's earlier sessions), folded in by `new_session()`. Its weights minimise the
  class-balanced log-loss plus an L2 penalty 1/(2C)·‖W‖² (scikit-learn's
  `LogisticRegression(class_weight="balanced", C=C)`, multinomial), refitted exactly on
  every window kept, so the order in which windows arrived does not matter;
- the wearer: windows labelled in the current session. The weights of the classes the
  wearer has labelled are the MAP estimate under a Gaussian prior centred on the
  population's: they minimise the log-loss of each window's class among those classes plus
  (τ/2)·‖θ − θ_population‖² (intercepts included), τ being `prior_windows`. A few answers
  move the boundaries between the wearer's labelled classes towards this wearer; many move
  them further; none leaves the population model. A class the wearer has not labelled keeps
  the population's weights, and one labelled class alone changes nothing. With
  `intercepts_only`, only those classes' intercepts move (the same MAP fit with the
  population's feature weights held fixed): the wearer's labels shift the population's
  boundaries but cannot turn them.

Absent features are the wearer's baseline (0), as for the other learners. The population
keeps at most `max_rows_per_class` windows of each class (a seeded uniform subsample).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import numpy as np
from river import base

if TYPE_CHECKING:
    from threadpoolctl import ThreadpoolController

from emostream.models.feature_index import FeatureIndex

#: L-BFGS iterations per fit (warm-started from the previous weights)
MAX_ITERATIONS = 500


def softmax_loss(
    theta: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    weight: np.ndarray,
    n_classes: int,
    l2: float,
    centre: np.ndarray,
    penalised: np.ndarray,
    offset: np.ndarray | None = None,
) -> tuple[float, np.ndarray]:
    """Weighted multinomial log-loss of the rows plus (l2/2)·‖(θ − centre)·penalised‖², and
    its gradient; θ is (classes, features + 1) flattened, the intercept last; `offset`
    (rows, classes) is added to the logits."""
    theta = theta.reshape(n_classes, -1)
    logits = x @ theta[:, :-1].T + theta[:, -1]
    if offset is not None:
        logits += offset
    logits -= logits.max(axis=1, keepdims=True)
    log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    rows = np.arange(y.size)
    loss = -float(np.dot(weight, log_p[rows, y]))
    residual = np.exp(log_p)
    residual[rows, y] -= 1.0
    residual *= weight[:, None]
    grad = np.empty_like(theta)
    grad[:, :-1] = residual.T @ x
    grad[:, -1] = residual.sum(axis=0)
    pulled = (theta - centre) * penalised
    loss += 0.5 * l2 * float(np.sum(pulled * pulled))
    grad += l2 * pulled
    return loss, grad.ravel()


def fit_softmax(
    x: np.ndarray,
    y: np.ndarray,
    weight: np.ndarray,
    n_classes: int,
    l2: float,
    centre: np.ndarray,
    penalise_intercept: bool,
    start: np.ndarray,
    offset: np.ndarray | None = None,
) -> np.ndarray:
    """Weights (classes, features + 1) minimising `softmax_loss` (L-BFGS from `start`), on
    one BLAS thread: the matrices are too small for threads to pay, and on a busy machine
    threads that wait for each other made a WESAD `evaluate` take twice as long."""
    from scipy import optimize  # imported at the first fit: a session that only predicts is spared

    penalised = np.ones_like(centre)
    if not penalise_intercept:
        penalised[:, -1] = 0.0
    with _blas().limit(limits=1, user_api="blas"):
        result = optimize.minimize(
            softmax_loss,
            start.ravel(),
            args=(x, y, weight, n_classes, l2, centre, penalised, offset),
            jac=True,
            method="L-BFGS-B",
            options={"maxiter": MAX_ITERATIONS},
        )
    return result.x.reshape(centre.shape)


@functools.cache
def _blas() -> ThreadpoolController:
    """The BLAS libraries loaded (numpy's and scipy's: called after scipy is imported)."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def balanced_weights(y: np.ndarray, n_classes: int) -> np.ndarray:
    """scikit-learn's `class_weight="balanced"`: n / (classes present · count of the row's class)."""
    counts = np.bincount(y, minlength=n_classes).astype(float)
    present = np.count_nonzero(counts)
    return y.size / (present * counts[y])


class _Rows:
    """Learned windows: inputs over the model's features (absent = 0) and class indices."""

    def __init__(self, n_features: int):
        self._x = np.zeros((0, n_features))
        self._y = np.zeros(0, dtype=np.int64)
        self._new: list[tuple[np.ndarray, int]] = []  # appended cheaply, stacked when read

    @property
    def size(self) -> int:
        return self._y.size + len(self._new)

    def grow(self, n_features: int) -> None:
        self.arrays()
        self._x = np.pad(self._x, ((0, 0), (0, n_features - self._x.shape[1])))

    def add(self, x: np.ndarray, k: int) -> None:
        self._new.append((x, k))

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """(inputs, class indices) of every row."""
        if self._new:
            self._x = np.vstack([self._x, *(x[None, :] for x, _ in self._new)])
            self._y = np.concatenate((self._y, [k for _, k in self._new])).astype(np.int64)
            self._new = []
        return self._x, self._y

    def set(self, x: np.ndarray, y: np.ndarray) -> None:
        self._x, self._y, self._new = x, y.astype(np.int64), []


class MapLogisticRegression(base.Classifier):
    """Class-balanced multinomial logistic regression; per-wearer MAP weights (river API)."""

    def __init__(
        self,
        classes: tuple[str, ...],
        c: float = 1.0,
        prior_windows: float = 30.0,
        max_rows_per_class: int = 20000,
        *,
        intercepts_only: bool = False,
        seed: int = 0,
    ):
        self.classes = tuple(classes)
        self.c = c
        self.prior_windows = prior_windows
        self.intercepts_only = intercepts_only
        self.max_rows_per_class = max_rows_per_class
        self.seed = seed
        self.features = FeatureIndex()
        self.population = _Rows(0)
        self.wearer = _Rows(0)
        self.population_theta = np.zeros((len(self.classes), 1))
        self.theta = np.zeros((len(self.classes), 1))
        self._stale_population = False
        self._stale_wearer = False
        self._known = np.zeros(len(self.classes), dtype=bool)

    @property
    def _multiclass(self) -> bool:
        return True

    # -- data --------------------------------------------------------------------------
    @property
    def feature_names(self) -> list[str]:
        return self.features.names

    def _vector(self, x: dict[str, float], *, grow: bool) -> np.ndarray:
        new = self.features.add(x) if grow else []
        if new:
            d = len(self.features)
            self.population.grow(d)
            self.wearer.grow(d)
            for name in ("population_theta", "theta"):
                theta = getattr(self, name)
                setattr(self, name, np.insert(theta, [theta.shape[1] - 1] * len(new), 0.0, 1))
        return self.features.vector(x)

    # river types x as dict[Hashable, Any]; this learner takes feature names to floats
    def learn_one(  # type: ignore[override]
        self, x: dict[str, float], y: base.typing.ClfTarget, w: float = 1.0
    ) -> None:
        if y not in self.classes:
            raise ValueError(f"unknown class {y!r}; the classes are {list(self.classes)}")
        self.wearer.add(self._vector(x, grow=True), self.classes.index(y))
        self._stale_wearer = True

    def new_session(self) -> None:
        """Fold the current wearer's windows into the population, refit it, start a new wearer."""
        if self.wearer.size:
            (pop_x, pop_y), (own_x, own_y) = self.population.arrays(), self.wearer.arrays()
            self.population.set(np.vstack((pop_x, own_x)), np.concatenate((pop_y, own_y)))
            self._subsample_population()
            self._stale_population = True
        self.wearer = _Rows(len(self.feature_names))
        self._stale_wearer = False
        self._fit()

    def _subsample_population(self) -> None:
        rng = np.random.default_rng(self.seed)
        x, y = self.population.arrays()
        keep = []
        for k in range(len(self.classes)):
            rows = np.flatnonzero(y == k)
            if rows.size > self.max_rows_per_class:
                rows = np.sort(rng.choice(rows, self.max_rows_per_class, replace=False))
            keep.append(rows)
        order = np.sort(np.concatenate(keep))
        self.population.set(x[order], y[order])

    # -- model -------------------------------------------------------------------------
    def _fit(self) -> None:
        n_classes = len(self.classes)
        pop_x, pop_y = self.population.arrays()
        own_x, own_y = self.wearer.arrays()
        self._known = np.bincount(np.concatenate((pop_y, own_y)), minlength=n_classes) > 0
        if self._stale_population and pop_y.size:
            self.population_theta = fit_softmax(
                pop_x,
                pop_y,
                balanced_weights(pop_y, n_classes),
                n_classes,
                1.0 / self.c,
                np.zeros_like(self.population_theta),
                False,
                self.population_theta,
            )
            self.theta = self.population_theta.copy()
            self._stale_wearer = bool(own_y.size)
        self._stale_population = False
        if self._stale_wearer:
            if pop_y.size:
                self.theta = self._wearer_theta(own_x, own_y)
            else:  # no population yet: the wearer's windows are the population
                self.theta = fit_softmax(
                    own_x,
                    own_y,
                    balanced_weights(own_y, n_classes),
                    n_classes,
                    1.0 / self.c,
                    np.zeros_like(self.theta),
                    False,
                    self.theta,
                )
        self._stale_wearer = False

    def _wearer_theta(self, own_x: np.ndarray, own_y: np.ndarray) -> np.ndarray:
        """MAP weights of the classes the wearer has labelled, centred on the population's,
        from the likelihood of each window's class among those classes; the other classes
        keep the population's weights (their absence from the wearer's labels says nothing
        about where they lie)."""
        labelled = np.flatnonzero(np.bincount(own_y, minlength=len(self.classes)))
        theta = self.population_theta.copy()
        if labelled.size < 2:  # one class: its likelihood among one class is always 1
            return theta
        position = np.full(len(self.classes), -1)
        position[labelled] = np.arange(labelled.size)
        if self.intercepts_only:
            population = self.population_theta[labelled]
            theta[labelled, -1:] = fit_softmax(
                np.zeros((own_y.size, 0)),
                position[own_y],
                np.ones(own_y.size),
                labelled.size,
                self.prior_windows,
                population[:, -1:],
                True,
                self.theta[labelled, -1:],
                offset=own_x @ population[:, :-1].T,
            )
            return theta
        theta[labelled] = fit_softmax(
            own_x,
            position[own_y],
            np.ones(own_y.size),
            labelled.size,
            self.prior_windows,
            self.population_theta[labelled],
            True,
            self.theta[labelled],
        )
        return theta

    def predict_proba_one(  # type: ignore[override]
        self, x: dict[str, float]
    ) -> dict[base.typing.ClfTarget, float]:
        if self._stale_population or self._stale_wearer:
            self._fit()
        known = self._known
        if not self.feature_names or not known.any():
            return {}
        logits = self.theta[:, :-1] @ self._vector(x, grow=False) + self.theta[:, -1]
        p = np.where(known, np.exp(logits - logits[known].max()), 0.0)
        p /= p.sum()
        return {c: float(v) for c, v in zip(self.classes, p, strict=True)}
