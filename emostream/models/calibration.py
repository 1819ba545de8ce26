"""Temperature scaling of class probabilities (Guo et al. 2017), so `confidence` means what it says.

One scalar T sharpens (T < 1) or softens (T > 1) the model's probabilities without changing
which class is on top: p_c ∝ p_c^(1/T). T is fitted by minimising the log loss on labelled
windows of subjects the model was not trained on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

#: a probability below this counts as this (log of zero)
MIN_P = 1e-6
#: the fitted temperature stays within these bounds
T_RANGE = (0.05, 20.0)


def temper(proba: Mapping[str, float], temperature: float) -> dict[str, float]:
    """`proba` raised to 1/temperature and renormalised (unchanged at temperature 1)."""
    if temperature == 1.0:
        return dict(proba)
    logits = np.log(np.maximum(np.fromiter(proba.values(), float), MIN_P)) / temperature
    p = np.exp(logits - logits.max())
    p /= p.sum()
    return {c: float(v) for c, v in zip(proba, p, strict=True)}


def fit_temperature(probas: Sequence[Mapping[str, float]], labels: Sequence[str]) -> float:
    """The temperature minimising the mean log loss of `labels` under the tempered `probas`."""
    from scipy.optimize import minimize_scalar  # imported when fitting, not to apply T

    if not probas:
        return 1.0
    classes = list(probas[0])
    logp = np.log(np.maximum([[p[c] for c in classes] for p in probas], MIN_P))
    target = np.array([classes.index(y) for y in labels])

    def loss(log_t: float) -> float:
        z = logp / np.exp(log_t)
        z -= z.max(axis=1, keepdims=True)
        log_norm = np.log(np.exp(z).sum(axis=1))
        return float(np.mean(log_norm - z[np.arange(len(z)), target]))

    bounds = np.log(T_RANGE)
    return float(np.exp(minimize_scalar(loss, bounds=bounds, method="bounded").x))
