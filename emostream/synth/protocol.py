"""Scripted protocol: phases in order, each with the physiological set-points it induces."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class PhaseProfile:
    """Set-points the synthetic wearer drifts towards during a phase."""

    hr_bpm: float
    rmssd_ms: float
    scl_us: float
    scr_per_min: float
    scr_amp_us: float
    rsp_rate_bpm: float
    temp_slope_c_per_min: float
    alpha_uv: float
    beta_uv: float
    #: frontal alpha asymmetry ln(alpha AF8) - ln(alpha AF7); > 0 means approach / positive valence
    faa: float
    valence: float
    arousal: float


PHASES: dict[str, PhaseProfile] = {
    "baseline": PhaseProfile(68, 48, 4.0, 1.5, 0.12, 13, 0.00, 9.0, 2.5, 0.00, 5.5, 2.5),
    "stress": PhaseProfile(92, 20, 7.5, 8.0, 0.35, 20, -0.12, 4.0, 5.0, -0.15, 3.0, 7.5),
    "recovery": PhaseProfile(72, 40, 5.0, 2.5, 0.15, 14, 0.08, 8.0, 2.8, 0.00, 5.0, 3.0),
    "amusement": PhaseProfile(80, 34, 5.8, 5.0, 0.22, 17, 0.02, 6.5, 3.5, 0.20, 8.0, 6.0),
}

DEFAULT_PROTOCOL: tuple[tuple[str, float], ...] = (
    ("baseline", 180.0),
    ("stress", 180.0),
    ("recovery", 180.0),
    ("amusement", 180.0),
)

#: time constant (s) with which set-points follow a phase change
TRANSITION_TAU_S = 15.0


@dataclass(frozen=True, slots=True)
class Protocol:
    """Phases (name, duration_s) in order, optionally repeated."""

    phases: tuple[tuple[str, float], ...] = DEFAULT_PROTOCOL

    def __post_init__(self) -> None:
        for name, duration_s in self.phases:
            if name not in PHASES:
                raise ValueError(f"unknown phase '{name}' (known: {', '.join(PHASES)})")
            if duration_s <= 0:
                raise ValueError(f"phase '{name}' needs a positive duration")

    @property
    def duration_s(self) -> float:
        return float(sum(d for _, d in self.phases))

    def boundaries(self, total_s: float) -> list[tuple[str, float, float]]:
        """(phase, start_s, end_s) covering [0, total_s), repeating the protocol as needed."""
        out: list[tuple[str, float, float]] = []
        t = 0.0
        while t < total_s:
            for name, duration_s in self.phases:
                if t >= total_s:
                    break
                out.append((name, t, min(t + duration_s, total_s)))
                t += duration_s
        return out

    def setpoint(self, attr: str, t_s: np.ndarray, total_s: float) -> np.ndarray:
        """Set-point `attr` at times `t_s`, following phase changes with a first-order lag.

        Exact and O(phases + samples): within phase i the value relaxes from its value at the
        phase start towards the phase's set-point with time constant TRANSITION_TAU_S.
        """
        bounds = self.boundaries(total_s)
        targets = np.array([getattr(PHASES[name], attr) for name, _, _ in bounds], dtype=float)
        starts = np.array([start for _, start, _ in bounds])
        at_start = np.empty_like(targets)
        at_start[0] = targets[0]
        for i in range(1, len(bounds)):
            decay = np.exp(-(starts[i] - starts[i - 1]) / TRANSITION_TAU_S)
            at_start[i] = targets[i - 1] + (at_start[i - 1] - targets[i - 1]) * decay
        t = np.asarray(t_s, dtype=np.float64)
        phase = np.clip(np.searchsorted(starts, t, side="right") - 1, 0, len(bounds) - 1)
        since = np.maximum(t - starts[phase], 0.0)
        return targets[phase] + (at_start[phase] - targets[phase]) * np.exp(
            -since / TRANSITION_TAU_S
        )

    def phase_at(self, t_s: float, total_s: float) -> str:
        for name, start, end in self.boundaries(total_s):
            if start <= t_s < end:
                return name
        return self.phases[-1][0]
