"""Probability smoothing: an exponentially weighted mean over past windows with time constant
`smoothing_s`, whatever the spacing of the windows; 0 turns it off."""

from __future__ import annotations

import math

import numpy as np
import pytest

from emostream.labels import LabelConfig
from emostream.models.config import ModelConfig
from emostream.models.online import OnlineStateModel
from emostream.models.smoothing import ProbabilitySmoother

from .conftest import make_session

TAU_S = 30.0
HOP_S = 5.0


@pytest.mark.parametrize("spacing", ["regular", "irregular"])
def test_step_response_follows_the_time_constant(spacing: str) -> None:
    """After a step from calm to stress, the smoothed stress probability at time T after the
    step is 1 - exp(-T / tau), however the windows fall in between."""
    rng = np.random.default_rng(7)
    gaps = np.full(40, 2.5) if spacing == "regular" else rng.uniform(0.2, 6.0, 40)
    smoother = ProbabilitySmoother(TAU_S)
    smoother.update(0.0, {"calm": 1.0, "stress": 0.0})
    for t_s in np.cumsum(gaps):
        out = smoother.update(float(t_s), {"calm": 0.0, "stress": 1.0})
        assert out["stress"] == pytest.approx(1.0 - math.exp(-t_s / TAU_S), abs=1e-12)
        assert out["calm"] + out["stress"] == pytest.approx(1.0)


def test_zero_time_constant_passes_probabilities_through() -> None:
    smoother = ProbabilitySmoother(0.0)
    for t_s, p in enumerate([0.1, 0.9, 0.2]):
        assert smoother.update(float(t_s), {"stress": p}) == {"stress": p}


def _stress_probabilities(smoothing_s: float) -> np.ndarray:
    labels = LabelConfig(classes=("calm", "stress"), map={"baseline": "calm"})
    model = OnlineStateModel(
        ModelConfig(labels=labels, smoothing_s=smoothing_s), config_hash="smoothing"
    )
    phases = [("baseline", 300.0), ("stress", 300.0)] * 3
    out = []
    for fv in make_session(phases, seed=3, hop_s=HOP_S):
        row = model.step(fv).prediction
        if row["state"] != "unknown":
            out.append(row["p_stress"])
    return np.asarray(out)


def test_the_model_reports_smoothed_probabilities() -> None:
    """Each window moves the reported probability by at most 1 - exp(-hop / tau) of the way
    to the new window's own; without smoothing, noisy windows jump further."""
    step_max = 1.0 - math.exp(-HOP_S / TAU_S)
    smoothed, raw = _stress_probabilities(TAU_S), _stress_probabilities(0.0)
    assert smoothed.size >= 50 and raw.size >= 50
    assert np.abs(np.diff(smoothed)).max() <= step_max + 1e-9
    assert np.abs(np.diff(raw)).max() > step_max
