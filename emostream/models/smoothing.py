"""Causal smoothing of class probabilities across windows.

Emotional states last minutes while single windows are noisy, so the reported probabilities
are an exponentially weighted mean over past windows with time constant `tau_s`: each new
window gets weight 1 - exp(-dt / tau_s), dt being the time since the previous window.
"""

from __future__ import annotations

import math


class ProbabilitySmoother:
    def __init__(self, tau_s: float):
        self.tau_s = tau_s
        self._proba: dict[str, float] | None = None
        self._t_s: float | None = None

    def update(self, t_s: float, proba: dict[str, float]) -> dict[str, float]:
        """Smoothed probabilities after the window ending at `t_s` (returns `proba` if off)."""
        if self.tau_s <= 0:
            return proba
        if self._proba is None or self._t_s is None or t_s <= self._t_s:
            self._proba = dict(proba)
        else:
            weight = 1.0 - math.exp(-(t_s - self._t_s) / self.tau_s)
            self._proba = {
                c: (1 - weight) * self._proba.get(c, p) + weight * p for c, p in proba.items()
            }
        self._t_s = t_s
        return dict(self._proba)
