"""The live benchmark's bookkeeping (`benchmarks/live.py`): for any window end and push phase,
the push it names is the wearer's first push that carries every sample completing the
window, so its delays are counted from the right instant."""

from __future__ import annotations

import math

import numpy as np
import pytest

from benchmarks.live import (
    STEP_S,
    STREAMS,
    WINDOW_S,
    closing_push_s,
    push_phase_s,
    rss_slope_mb_per_min,
    samples_pushed_by,
)

T0_S = 1000.0


def _needed(t_end_s: float, rate_hz: float) -> int:
    """Samples a window ending at `t_end_s` needs: through the first within half a period."""
    return math.ceil(round((t_end_s - T0_S - 0.5 / rate_hz) * rate_hz, 6)) + 1


@pytest.mark.parametrize("groups", [1, 3, 10])
def test_the_closing_push_is_the_wearers_first_that_completes_the_window(groups: int) -> None:
    rng = np.random.default_rng(0)
    for wearer in range(groups):
        phase_s = push_phase_s(wearer, groups)
        assert 0.0 <= phase_s < STEP_S
        for t_end_s in T0_S + WINDOW_S + rng.uniform(0.0, 30.0, 50):
            t_push_s = closing_push_s(t_end_s, T0_S, phase_s)
            # on the wearer's own grid of pushes
            steps = (t_push_s - T0_S - phase_s) / STEP_S
            assert steps == pytest.approx(round(steps), abs=1e-6)
            for _, rate_hz, _ in STREAMS:
                assert samples_pushed_by(t_push_s, T0_S, rate_hz) >= _needed(t_end_s, rate_hz)
            # and the wearer's push before it leaves a sample out
            assert any(
                samples_pushed_by(t_push_s - STEP_S, T0_S, rate_hz) < _needed(t_end_s, rate_hz)
                for _, rate_hz, _ in STREAMS
            )


def test_one_push_group_pushes_at_the_steps_start() -> None:
    assert [push_phase_s(i, 1) for i in range(5)] == [0.0] * 5
    assert closing_push_s(T0_S + 60.5, T0_S) == pytest.approx(T0_S + 60.5)
    assert closing_push_s(T0_S + 60.5, T0_S, 0.03) == pytest.approx(T0_S + 60.53)


def test_the_rss_slope_is_in_mb_a_minute_and_ignores_noise() -> None:
    rng = np.random.default_rng(1)
    t_s = T0_S + np.arange(0.0, 900.0, 2.0)
    rss_mb = 400.0 + 0.5 * (t_s - T0_S) / 60.0 + rng.normal(0.0, 0.3, t_s.size)
    rising = list(zip(t_s, rss_mb, strict=True))
    assert rss_slope_mb_per_min(rising) == pytest.approx(0.5, abs=0.02)
    flat = [(t, 400.0 + (i % 2) * 0.5) for i, t in enumerate(t_s)]
    assert rss_slope_mb_per_min(flat) == pytest.approx(0.0, abs=1e-3)
    assert math.isnan(rss_slope_mb_per_min([(T0_S, 400.0)]))
