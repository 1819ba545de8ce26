"""Top-label Platt scaling of class probabilities, so `confidence` means what it says.

The top class's probability p becomes σ(slope·logit(p) + intercept), Platt scaling of the
top label (Gupta & Ramdas 2022); the other classes share the rest in their old proportions,
so no other class overtakes the top one. Unlike one temperature (Guo et al. 2017), the
intercept corrects a model whose weak predictions are right more often than they say while
its strong ones are right less often. Both numbers are fitted by maximum likelihood of
whether the top class was right, on windows of subjects the model was not trained on.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

#: a top-class probability is kept within [MIN_P, 1 - MIN_P] before its logit is taken
MIN_P = 1e-6
#: the fitted slope stays within these bounds (positive: a more confident window stays so)
SLOPE_RANGE = (0.05, 20.0)
INTERCEPT_RANGE = (-10.0, 10.0)


@dataclass(frozen=True, slots=True)
class TopLabelCalibration:
    """logit(confidence) ↦ slope·logit(confidence) + intercept; (1, 0) changes nothing."""

    slope: float = 1.0
    intercept: float = 0.0

    @property
    def is_identity(self) -> bool:
        return self.slope == 1.0 and self.intercept == 0.0

    def apply_with_state(self, proba: Mapping[str, float]) -> tuple[str, dict[str, float]]:
        """The state (the top class of `proba`, chosen before the calibration: a calibrated
        runner-up may tie with it at the floor, never replace it) and `apply(proba)`."""
        return max(proba, key=proba.__getitem__), self.apply(proba)

    def apply(self, proba: Mapping[str, float]) -> dict[str, float]:
        """`proba` with its top class's probability calibrated and the others rescaled."""
        if self.is_identity or len(proba) < 2:
            return dict(proba)
        top = max(proba, key=proba.__getitem__)
        p = min(max(proba[top], MIN_P), 1.0 - MIN_P)
        others = {c: v for c, v in proba.items() if c != top}
        rest = sum(others.values())
        runner_up = max(others.values())
        z = self.slope * math.log(p / (1.0 - p)) + self.intercept
        calibrated = 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0
        if rest > 0:
            # rescaled by (1 - calibrated) / rest, the runner-up must not pass the top class
            calibrated = max(calibrated, runner_up / (rest + runner_up))
            scale = (1.0 - calibrated) / rest
            out = {c: v * scale for c, v in others.items()}
        else:
            calibrated = max(calibrated, 1.0 / len(proba))
            out = {c: (1.0 - calibrated) / len(others) for c in others}
        out[top] = calibrated
        return {c: out[c] for c in proba}


def fit_top_label(
    probas: Sequence[Mapping[str, float]], labels: Sequence[str]
) -> TopLabelCalibration:
    """The calibration maximising the likelihood of whether each top class was `labels`'."""
    from scipy.optimize import minimize  # imported when fitting, not to apply it

    if len(probas) < 2:
        return TopLabelCalibration()
    tops = [max(p, key=p.__getitem__) for p in probas]
    p = np.clip([q[c] for q, c in zip(probas, tops, strict=True)], MIN_P, 1.0 - MIN_P)
    x = np.log(p / (1.0 - p))
    right = np.array([c == y for c, y in zip(tops, labels, strict=True)], dtype=float)

    def loss(params: np.ndarray) -> tuple[float, np.ndarray]:
        z = params[0] * x + params[1]
        residual = 1.0 / (1.0 + np.exp(-z)) - right
        value = float(np.mean(np.logaddexp(0.0, z) - right * z))
        return value, np.array([np.mean(residual * x), np.mean(residual)])

    fit = minimize(
        loss, np.array([1.0, 0.0]), jac=True, method="L-BFGS-B",
        bounds=[SLOPE_RANGE, INTERCEPT_RANGE],
    )  # fmt: skip
    return TopLabelCalibration(float(fit.x[0]), float(fit.x[1]))
