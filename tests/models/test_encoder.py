"""Session encoder: what the learner sees of a window's features."""

from __future__ import annotations

import math

import numpy as np
import pytest

from emostream.features.base import FeatureVector
from emostream.models.config import ModelConfig
from emostream.models.encoder import SessionEncoder


def _last_zscore(config: ModelConfig, levels: np.ndarray) -> float:
    encoder = SessionEncoder(config)
    for t, level in enumerate(levels):
        window = encoder.encode(FeatureVector(float(t), float(t) + 60.0, {"eda_scl_us": level}))
    return window.zscores["eda_scl_us"]


@pytest.mark.parametrize("last_level", [2.01, 2.2, 1.7, 5.0, -30.0])
def test_zscores_are_clipped_or_log_compressed_then_clipped(last_level):
    calm = 2.0 + np.random.default_rng(0).normal(0.0, 0.05, 200)
    levels = np.append(calm, last_level)
    z = (last_level - levels.mean()) / levels.std(ddof=1)  # against the running statistics
    clip, log = ModelConfig(warmup_s=0.0), ModelConfig(warmup_s=0.0, z_squash="log")
    assert _last_zscore(clip, levels) == pytest.approx(min(max(z, -10.0), 10.0))
    assert _last_zscore(log, levels) == pytest.approx(math.copysign(math.log1p(abs(z)), z))


def test_log_squash_keeps_the_order_of_levels_beyond_the_clip():
    calm = 2.0 + np.random.default_rng(1).normal(0.0, 0.01, 200)  # a quiet baseline

    def last(config: ModelConfig, level: float) -> float:
        return _last_zscore(config, np.append(calm, level))

    clip, log = ModelConfig(warmup_s=0.0), ModelConfig(warmup_s=0.0, z_squash="log")
    assert last(clip, 3.0) == last(clip, 6.0) == 10.0
    assert 0.0 < last(log, 3.0) < last(log, 6.0) < 10.0


def _changes(config: ModelConfig, levels: np.ndarray, t_end_s: np.ndarray) -> list[float | None]:
    encoder = SessionEncoder(config)
    out = []
    for t, level in zip(t_end_s, levels, strict=True):
        window = encoder.encode(FeatureVector(t - 60.0, t, {"eda_scl_us": level}))
        out.append(window.x.get("change_eda_scl_us"))
    return out


def test_change_is_the_zscore_now_minus_the_zscore_change_s_earlier():
    rng = np.random.default_rng(2)
    levels = 2.0 + np.cumsum(rng.normal(0.0, 0.01, 400))
    t_end_s = 1000.0 + np.arange(400.0)
    config = ModelConfig(warmup_s=0.0, change_s=120.0)
    changes = _changes(config, levels, t_end_s)
    assert changes[:120] == [None] * 120  # nothing 120 s back yet
    for i in (120, 250, 399):
        sd = levels[: i + 1].std(ddof=1)  # the running statistics at window i
        assert changes[i] == pytest.approx((levels[i] - levels[i - 120]) / sd)
    # the z-scores' own clip applies
    assert all(abs(c) <= 10.0 for c in changes[120:])
    # absolute time plays no part
    assert _changes(config, levels, t_end_s + 1e6) == pytest.approx(changes)
    # off by default, over the same session
    assert _changes(ModelConfig(warmup_s=0.0), levels, t_end_s) == [None] * 400


def test_after_a_gap_longer_than_the_slack_the_change_is_absent():
    levels = np.linspace(2.0, 3.0, 300)
    # windows every second, then 200 s without windows (a device that dropped out)
    t_end_s = np.concatenate([np.arange(150.0), 350.0 + np.arange(150.0)])
    changes = _changes(ModelConfig(warmup_s=0.0, change_s=120.0), levels, t_end_s)
    assert changes[149] is not None
    # just after the gap, the window 120 s back would be 230 s: only 149 s (older than
    # 120 s × 1.25) exists, so no change; once windows after the gap are 120 s old, it returns
    assert changes[150] is None
    assert changes[150 + 119] is None and changes[150 + 120] is not None


def test_change_needs_zscores():
    from emostream.config import FieldError

    with pytest.raises(FieldError, match="z-scores") as raised:
        ModelConfig(normalise="none", change_s=60.0)
    assert raised.value.field == "change_s"


@pytest.mark.parametrize(
    ("field", "value"), [("baseline_phase_tau_s", 60.0), ("z_scale", "session")]
)
@pytest.mark.parametrize("normalise", ["running", "none"])
def test_declared_baseline_settings_need_a_declared_baseline(field, value, normalise):
    from emostream.config import FieldError

    with pytest.raises(FieldError, match="baseline-phase") as raised:
        ModelConfig(normalise=normalise, **{field: value})
    assert raised.value.field == field
    ModelConfig(normalise="baseline-phase", **{field: value})
