"""Mixing the frozen general model with the wearer's adapting one."""

from __future__ import annotations

from emostream.models.mixture import ExpertMixture


def test_the_expert_that_predicts_the_labels_gains_weight():
    mixture = ExpertMixture(2, eta=0.1)
    right = {"calm": 0.2, "stress": 0.8}
    wrong = {"calm": 0.7, "stress": 0.3}
    assert mixture.combine([right, wrong])["stress"] == 0.55
    for _ in range(50):
        mixture.update([wrong, right], "stress")
    weights = mixture.weights()
    assert weights[1] > 0.9
    assert mixture.combine([wrong, right])["stress"] > 0.75
