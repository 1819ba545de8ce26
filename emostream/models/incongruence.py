"""Incongruence: what a person expresses against what their body and the model say.

Expressed valence (-1..1) is the mean of the expression channels present in a window:
- words: `text_valence` (VADER's compound score);
- face: `face_happiness_mean` minus the negative expressions' probabilities (anger, disgust,
  fear, sadness), which lies in -1..1 since the seven probabilities sum to 1.
Voice prosody is not used: its features (pitch, loudness, jitter) track arousal more than
valence, and no calibrated valence is computed from them.

Two scores are added to a prediction row, each only when its inputs are present:
- `incongruence_arousal` = max(expressed, 0) x max(arousal, 0): positive expression during
  physiological arousal above the wearer's baseline (`arousal` is in the wearer's SDs);
- `incongruence_valence` = expressed - the model's valence (-2..2): > 0 when the person
  expresses more positive feeling than the model infers, e.g. cheerful words and a smile
  while the model predicts stress.

They say that the channels disagree, not why: masking, politeness, sarcasm, a misread
transcript, a positive topic discussed under unrelated exertion, or a model that is wrong all
look the same. They are descriptive outputs, never inputs of the model.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

NEGATIVE_EXPRESSIONS = ("anger", "disgust", "fear", "sadness")


def face_valence(values: Mapping[str, float]) -> float | None:
    """Happiness minus the negative expressions' probabilities; None without a face."""
    if "face_happiness_mean" not in values:
        return None
    negative = sum(values.get(f"face_{name}_mean", 0.0) for name in NEGATIVE_EXPRESSIONS)
    return max(-1.0, min(1.0, values["face_happiness_mean"] - negative))


def expressed_valence(values: Mapping[str, float]) -> float | None:
    """Mean of the expressed valences present (words, face); None when neither is."""
    channels = [v for v in (values.get("text_valence"), face_valence(values)) if v is not None]
    return sum(channels) / len(channels) if channels else None


def incongruence(values: Mapping[str, float], prediction: Mapping[str, Any]) -> dict[str, float]:
    """`expressed_valence` and the incongruence scores of one window (present inputs only)."""
    expressed = expressed_valence(values)
    if expressed is None:
        return {}
    out = {"expressed_valence": expressed}
    arousal = prediction.get("arousal")
    if arousal is not None:
        out["incongruence_arousal"] = max(expressed, 0.0) * max(float(arousal), 0.0)
    valence = prediction.get("valence")
    if valence is not None:
        out["incongruence_valence"] = expressed - float(valence)
    return out
