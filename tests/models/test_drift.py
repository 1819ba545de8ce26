"""Drift monitor: river's ADWIN on the same errors, and river.drift imported only when a
labelled window is scored."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
from river.drift import ADWIN

from emostream.models.drift import DriftMonitor


def test_monitor_follows_adwin_on_the_same_errors():
    # an error rate that jumps from 10% to 60%: ADWIN cuts its window once it sees the jump
    rng = np.random.default_rng(0)
    errors = np.concatenate((rng.random(600) < 0.1, rng.random(600) < 0.6)).astype(float)
    monitor, adwin = DriftMonitor(0.002), ADWIN(delta=0.002)
    assert (monitor.estimation, monitor.drift_detected, monitor.width) == (0.0, False, 0)
    detections = 0
    for error in errors:
        monitor.update(error)
        adwin.update(error)
        assert monitor.estimation == adwin.estimation
        assert monitor.drift_detected == adwin.drift_detected
        assert monitor.width == adwin.width
        detections += monitor.drift_detected
    assert detections >= 1
    monitor.reset()
    assert (monitor.estimation, monitor.drift_detected, monitor.width) == (0.0, False, 0)


def test_a_session_without_labels_never_imports_river_drift():
    script = """
import sys
from emostream.features.base import FeatureVector
from emostream.models.config import ModelConfig
from emostream.models.online import OnlineStateModel

model = OnlineStateModel(ModelConfig(), config_hash="h")
for k in range(120):
    model.step(FeatureVector(float(k), k + 60.0, values={"hr_bpm": 70.0 + k % 7}))
print("river.drift" in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
