"""The fusion value table (README, docs/fusion.md) in small: on two passes of the synthetic
protocol, adding face and voice, or EEG, to the physiology raises the state's balanced
accuracy and lowers the valence error of the same prequential model, in the same run
(`benchmarks/fusion_value.py` gives the full table: 3 passes x 3 seeds)."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import balanced_accuracy_score

from benchmarks.fusion_value import LABELS, SETUPS, render, run
from emostream.synth.protocol import Protocol

SEED = 1
PHYSIOLOGY = "physiology (ECG, EDA, RSP, TEMP)"
ADDED = ("physiology + face + voice", "physiology + EEG")


def _scores(streams: dict, name: str, protocol: Protocol) -> tuple[float, float]:
    """(state balanced accuracy, valence mean absolute error) of one input setup."""
    kinds, features = SETUPS[name]
    y, state, valence = run(streams, kinds, features, protocol, SEED)
    assert len(y) >= 50
    target = np.array([LABELS.valence[c] for c in y])
    return balanced_accuracy_score(y, state), float(np.mean(np.abs(np.array(valence) - target)))


def test_face_voice_and_eeg_each_add_to_physiology() -> None:
    protocol = Protocol(Protocol().phases * 2)
    streams = render(protocol, SEED)
    accuracy, mae = _scores(streams, PHYSIOLOGY, protocol)
    for name in ADDED:
        fused_accuracy, fused_mae = _scores(streams, name, protocol)
        print(
            f"{name}: accuracy {accuracy:.3f} -> {fused_accuracy:.3f}, MAE {mae:.3f} -> {fused_mae:.3f}"
        )
        assert fused_accuracy > accuracy, name
        assert fused_mae < mae, name
