"""The batch references: their probabilities smoothed across windows as the online model's."""

from __future__ import annotations

import numpy as np

from emostream.evaluation.references import smoothed_predictions

CLASSES = ["calm", "stress"]
T_END_S = [60.0 + 5.0 * i for i in range(20)]  # a window every 5 s


def test_one_noisy_window_is_smoothed_over_and_a_lasting_change_wins_after_its_time():
    proba = np.array([[0.9, 0.1]] * 20)
    proba[10] = [0.2, 0.8]  # one noisy window
    assert smoothed_predictions(proba, CLASSES, T_END_S, 30.0) == ["calm"] * 20
    assert smoothed_predictions(proba, CLASSES, T_END_S, 0.0)[10] == "stress"  # off: raw
    proba[10:] = [0.2, 0.8]  # a lasting change: p(calm) = 0.2 + 0.7 exp(-5 s / 30 s)^k
    smoothed = smoothed_predictions(proba, CLASSES, T_END_S, 30.0)
    assert smoothed == ["calm"] * 15 + ["stress"] * 5
    # causal: a window's prediction does not depend on the windows after it
    assert smoothed_predictions(proba[:12], CLASSES, T_END_S[:12], 30.0) == smoothed[:12]
