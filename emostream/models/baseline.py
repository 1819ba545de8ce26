"""Per-subject baseline: features as z-scores against the wearer's own running statistics.

Physiology differs between people far more than between one person's calm and stress, so
the learner sees each feature relative to the wearer. The statistics are causal: a window is
scored against the subject's windows up to and including itself (`running`), or against a
declared baseline phase once it holds enough windows (`baseline-phase`), divided by that
phase's spread or by the session's so far (`scale`). With `tau_s` > 0 the running statistics
forget exponentially with that time constant, so slow drifts over a long session (skin
conductance creeping up, a warming wrist) do not read as arousal. With `phase_tau_s` > 0
the declared phase's centre forgets likewise, so a phase whose start is unsettled (skin
conductance still rising after the sensor is put on, a questionnaire being filled in) is
represented by its end; its spread stays that of the whole phase.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from river import stats

from emostream.models.config import ZScale

MIN_SD = 1e-9


class EwVar:
    """Exponentially weighted mean and variance; a sample's weight is 1 - exp(-dt / tau_s)."""

    def __init__(self, tau_s: float):
        self.tau_s = tau_s
        self.n = 0
        self.mean = 0.0
        self.var = 0.0
        self._t_s = -math.inf

    def update(self, x: float, t_s: float) -> None:
        self.n += 1
        if self.n == 1:
            self.mean, self._t_s = x, t_s
            return
        # weight of the new sample, but never less than an equal share while warming up
        w = max(1.0 - math.exp(-max(t_s - self._t_s, 0.0) / self.tau_s), 1.0 / self.n)
        delta = x - self.mean
        self.mean += w * delta
        self.var = (1.0 - w) * (self.var + w * delta * delta)
        self._t_s = t_s


class SubjectBaseline:
    """Running mean and variance per feature, and z-scores against them."""

    def __init__(
        self,
        mode: str = "running",
        min_baseline_windows: int = 30,
        tau_s: float = 0.0,
        scale: ZScale = "baseline",
        phase_tau_s: float = 0.0,
    ):
        self.mode = mode
        self.scale = scale
        self.phase_tau_s = phase_tau_s
        self.min_baseline_windows = min_baseline_windows
        self.tau_s = tau_s
        self._running: dict[str, stats.Var | EwVar] = {}
        self._baseline: dict[str, stats.Var] = {}
        #: the declared phase's exponentially forgetting centre (with `phase_tau_s` > 0)
        self._baseline_recent: dict[str, EwVar] = {}
        self.n_windows = 0
        self.n_baseline_windows = 0

    def update(self, values: dict[str, float], t_s: float, in_baseline_phase: bool = False) -> None:
        """Add one window's feature values (only finite ones) at time `t_s`."""
        self.n_windows += 1
        for name, value in values.items():
            stat = self._running.get(name)
            if stat is None:
                stat = self._running[name] = EwVar(self.tau_s) if self.tau_s > 0 else stats.Var()
            if isinstance(stat, EwVar):
                stat.update(value, t_s)
            else:
                stat.update(value)
        if self.mode == "baseline-phase" and in_baseline_phase:
            self.n_baseline_windows += 1
            for name, value in values.items():
                self._baseline.setdefault(name, stats.Var()).update(value)
                if self.phase_tau_s > 0:
                    recent = self._baseline_recent.get(name)
                    if recent is None:
                        recent = self._baseline_recent[name] = EwVar(self.phase_tau_s)
                    recent.update(value, t_s)

    @property
    def uses_baseline_phase(self) -> bool:
        """True once the declared baseline phase holds enough windows to be the reference."""
        return (
            self.mode == "baseline-phase" and self.n_baseline_windows >= self.min_baseline_windows
        )

    def zscores(self, values: dict[str, float]) -> dict[str, float]:
        """z-score of each value; absent while its feature has no spread yet."""
        phase = self.uses_baseline_phase
        centres: Mapping[str, stats.Var | EwVar] = self._baseline if phase else self._running
        spreads = self._running if phase and self.scale == "session" else centres
        if phase and self.phase_tau_s > 0:
            centres = self._baseline_recent
        out: dict[str, float] = {}
        for name, value in values.items():
            centre, spread = centres.get(name), spreads.get(name)
            if centre is None or spread is None:
                continue
            n, mean, var = _moments(centre)
            if spread is not centre:
                var = _moments(spread)[2]
            sd = math.sqrt(max(var, 0.0))
            if n >= 2 and sd > MIN_SD:
                out[name] = (value - mean) / sd
        return out


def _moments(stat: stats.Var | EwVar) -> tuple[float, float, float]:
    """Count, mean and variance."""
    if isinstance(stat, EwVar):
        return stat.n, stat.mean, stat.var
    return stat.mean.n, stat.mean.get(), stat.get()
