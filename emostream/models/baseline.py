"""Per-subject baseline: features as z-scores against the wearer's own running statistics.

Physiology differs between people far more than between one person's calm and stress, so
the learner sees each feature relative to the wearer. The statistics are causal: a window is
scored against every window of the subject up to and including itself (`running`), or against
a declared baseline phase once it holds enough windows (`baseline-phase`).
"""

from __future__ import annotations

import math

from river import stats

MIN_SD = 1e-9


class SubjectBaseline:
    """Running mean and variance per feature (river `stats.Var`), and z-scores against them."""

    def __init__(self, mode: str = "running", min_baseline_windows: int = 30):
        self.mode = mode
        self.min_baseline_windows = min_baseline_windows
        self._running: dict[str, stats.Var] = {}
        self._baseline: dict[str, stats.Var] = {}
        self.n_windows = 0
        self.n_baseline_windows = 0

    def update(self, values: dict[str, float], in_baseline_phase: bool = False) -> None:
        """Add one window's feature values (only finite ones)."""
        self.n_windows += 1
        for name, value in values.items():
            self._running.setdefault(name, stats.Var()).update(value)
        if self.mode == "baseline-phase" and in_baseline_phase:
            self.n_baseline_windows += 1
            for name, value in values.items():
                self._baseline.setdefault(name, stats.Var()).update(value)

    def _reference(self) -> dict[str, stats.Var]:
        if self.mode == "baseline-phase" and self.n_baseline_windows >= self.min_baseline_windows:
            return self._baseline
        return self._running

    def zscores(self, values: dict[str, float]) -> dict[str, float]:
        """z-score of each value; absent while its feature has no spread yet."""
        reference = self._reference()
        out: dict[str, float] = {}
        for name, value in values.items():
            var = reference.get(name)
            if var is None or var.mean.n < 2:
                continue
            sd = math.sqrt(max(var.get(), 0.0))
            if sd > MIN_SD:
                out[name] = (value - var.mean.get()) / sd
        return out
