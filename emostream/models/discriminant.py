"""Linear discriminant with per-wearer class means: exact, order-free online learning.

Each class is a Gaussian with its own mean and a covariance shared by all classes (LDA),
estimated from sufficient statistics (counts, sums, the pooled within-class scatter), so a
window learned now or later changes the model the same way and no learning rate can drift.

Two levels of statistics:
- the population: every window learned before the current session (other wearers, or this
  wearer's earlier sessions), folded in by `new_session()`;
- the wearer: windows labelled in the current session. Each class mean is the MAP estimate
  (τ·population mean + the wearer's sum) / (τ + the wearer's count), so a handful of
  answers moves the wearer's class centres towards where this wearer really is, and a
  class the wearer has not labelled stays at the population's.

The covariance is shrunk towards its diagonal (`shrinkage`), and the classes have equal
priors, so the decision does not follow the class frequencies of the training sessions.
Absent features are the wearer's baseline (0), as for the other learners.
"""

from __future__ import annotations

import numpy as np
from river import base

from emostream.models.feature_index import FeatureIndex

#: added to the diagonal of the covariance (inputs are z-scores, so this is small)
RIDGE = 1e-3


class _Moments:
    """Per-class counts and means, and the pooled within-class scatter of the rows learned."""

    FIELDS = ("count", "mean", "scatter")

    def __init__(self, n_classes: int, n_features: int):
        self.count = np.zeros(n_classes)
        self.mean = np.zeros((n_classes, n_features))
        self.scatter = np.zeros((n_features, n_features))

    def grow(self, n_features: int) -> None:
        extra = n_features - self.mean.shape[1]
        if extra > 0:
            self.mean = np.pad(self.mean, ((0, 0), (0, extra)))
            self.scatter = np.pad(self.scatter, ((0, extra), (0, extra)))

    def add(self, k: int, x: np.ndarray, weight: float = 1.0) -> None:
        """Welford update of class k's mean and the pooled within-class scatter."""
        self.count[k] += weight
        delta = x - self.mean[k]
        self.mean[k] += weight / self.count[k] * delta
        self.scatter += weight * np.outer(delta, x - self.mean[k])

    def merge(self, other: _Moments) -> None:
        """Fold `other`'s rows in (Chan et al.'s pairwise update, per class)."""
        for k in range(len(self.count)):
            n_b = other.count[k]
            if n_b == 0:
                continue
            n_a = self.count[k]
            delta = other.mean[k] - self.mean[k]
            n = n_a + n_b
            self.scatter += np.outer(delta, delta) * n_a * n_b / n
            self.mean[k] += delta * n_b / n
            self.count[k] = n
        self.scatter += other.scatter


class GaussianDiscriminant(base.Classifier):
    """Shrinkage LDA with MAP-adapted per-wearer class means (river classifier API)."""

    def __init__(
        self, classes: tuple[str, ...], shrinkage: float = 0.2, prior_windows: float = 30.0
    ):
        self.classes = tuple(classes)
        self.shrinkage = shrinkage
        self.prior_windows = prior_windows
        self.features = FeatureIndex()
        self.population = _Moments(len(self.classes), 0)
        self.wearer = _Moments(len(self.classes), 0)
        self._weights: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def _multiclass(self) -> bool:
        return True

    # -- data --------------------------------------------------------------------------
    @property
    def feature_names(self) -> list[str]:
        return self.features.names

    def _vector(self, x: dict[str, float], *, grow: bool) -> np.ndarray:
        if grow and self.features.add(x):
            self.population.grow(len(self.features))
            self.wearer.grow(len(self.features))
        return self.features.vector(x)

    # river types x as dict[Hashable, Any]; this learner takes feature names to floats
    def learn_one(  # type: ignore[override]
        self, x: dict[str, float], y: base.typing.ClfTarget, w: float = 1.0
    ) -> None:
        if y not in self.classes:
            raise ValueError(f"unknown class {y!r}; the classes are {list(self.classes)}")
        self.wearer.add(self.classes.index(y), self._vector(x, grow=True), w)
        self._weights = None

    def new_session(self) -> None:
        """Fold the current wearer's windows into the population; start a new wearer."""
        self.population.merge(self.wearer)
        self.wearer = _Moments(len(self.classes), len(self.feature_names))
        self._weights = None

    # -- model -------------------------------------------------------------------------
    def class_means(self) -> np.ndarray:
        """The wearer's MAP class means (population means where the wearer has no windows)."""
        pop, own = self.population, self.wearer
        tau = np.where(pop.count > 0, self.prior_windows, 0.0)[:, None]
        total = tau + own.count[:, None]
        return np.where(
            total > 0,
            (tau * pop.mean + own.count[:, None] * own.mean) / np.maximum(total, 1e-12),
            0.0,
        )

    def covariance(self) -> np.ndarray:
        pop, own = self.population, self.wearer
        n = pop.count.sum() + own.count.sum()
        d = len(self.feature_names)
        if d == 0 or n < 2:
            return np.eye(d)
        cov = (pop.scatter + own.scatter) / n  # maximum likelihood, as scikit-learn's LDA
        diag = np.diag(np.diag(cov))
        cov = (1.0 - self.shrinkage) * cov + self.shrinkage * diag
        return cov + RIDGE * np.eye(d)

    def _linear(self) -> tuple[np.ndarray, np.ndarray]:
        if self._weights is None:
            means = self.class_means()
            coef = np.linalg.solve(self.covariance(), means.T).T  # (classes, features)
            intercept = -0.5 * np.einsum("kf,kf->k", coef, means)
            self._weights = (coef, intercept)
        return self._weights

    def predict_proba_one(  # type: ignore[override]
        self, x: dict[str, float]
    ) -> dict[base.typing.ClfTarget, float]:
        seen = self.population.count + self.wearer.count
        if not self.feature_names or seen.sum() == 0:
            return {}
        coef, intercept = self._linear()
        logits = coef @ self._vector(x, grow=False) + intercept
        known = seen > 0
        top = logits[known].max()
        p = np.where(known, np.exp(logits - top), 0.0)
        p /= p.sum()
        return {c: float(v) for c, v in zip(self.classes, p, strict=True)}
