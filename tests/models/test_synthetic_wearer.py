"""The unsupervised arousal index on the synthetic wearer, through the demo pipeline."""

from __future__ import annotations

import numpy as np

from emostream.pipeline.build import build_live_source, build_model
from emostream.pipeline.config import load_pipeline
from emostream.pipeline.launch import run_session


def test_arousal_index_rises_in_stress_and_falls_in_recovery():
    config = load_pipeline("demo")
    source = build_live_source(config, 0, speed=None, t0_s=0.0)
    result = run_session(config, [source], mode="process", model=build_model(config, None))
    bounds = {
        name: (start, end) for name, start, end in source.protocol.boundaries(source.duration_s)
    }
    length_s = config.window.length_s

    def mean_arousal(phase: str) -> float:
        start, end = bounds[phase]
        values = [
            row["arousal"]
            for row in result.prediction_rows
            if "arousal" in row and start + length_s <= row["t_end"] <= end
        ]
        assert values, f"no arousal values in {phase}"
        return float(np.mean(values))

    baseline, stress, recovery = (mean_arousal(p) for p in ("baseline", "stress", "recovery"))
    assert stress > baseline + 0.3
    assert recovery < stress - 0.3
