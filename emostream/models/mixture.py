"""Online mixture of a frozen general model and the wearer's adapting one.

Personal learning helps some wearers and hurts others (a task's after-effects teach the wrong
lesson), and which one is true only shows once labels arrive. Exponentially weighted experts
(Hedge with log loss): each expert's weight follows how well it predicted the windows
labelled so far, so the mixture leans on whichever has been right for this wearer.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

#: a probability below this counts as this (bounds the loss of one confident mistake)
MIN_P = 1e-3


class ExpertMixture:
    def __init__(self, n_experts: int, eta: float):
        self.eta = eta
        self.log_weights = [0.0] * n_experts

    def weights(self) -> list[float]:
        top = max(self.log_weights)
        w = [math.exp(lw - top) for lw in self.log_weights]
        total = sum(w)
        return [v / total for v in w]

    def combine(self, probas: Sequence[dict[str, float]]) -> dict[str, float]:
        """Weighted mean of the experts' class probabilities."""
        weights = self.weights()
        return {c: sum(w * p[c] for w, p in zip(weights, probas, strict=True)) for c in probas[0]}

    def update(self, probas: Sequence[dict[str, float]], label: str) -> None:
        """Reweight after a window's true label is known."""
        for k, p in enumerate(probas):
            self.log_weights[k] += self.eta * math.log(max(p.get(label, 0.0), MIN_P))
        top = max(self.log_weights)
        self.log_weights = [lw - top for lw in self.log_weights]
