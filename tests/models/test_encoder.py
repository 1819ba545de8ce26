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
