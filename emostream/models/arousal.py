"""Unsupervised arousal index: how far the wearer's sympathetic markers sit above baseline.

It needs no labels: the mean of personal-baseline z-scores of SCL, SCR rate, HR and −RMSSD
(each present one counts). It is in standard deviations of the wearer's own variation.
"""

from __future__ import annotations

#: feature column -> sign with which its z-score enters the index
AROUSAL_TERMS: dict[str, float] = {
    "eda_scl_us": 1.0,
    "eda_scr_count": 1.0,
    "hr_bpm": 1.0,
    "hrv_rmssd_ms": -1.0,
}


def arousal_index(zscores: dict[str, float]) -> float | None:
    """Mean signed z-score of the arousal terms present; None when none is present."""
    terms = [sign * zscores[name] for name, sign in AROUSAL_TERMS.items() if name in zscores]
    return sum(terms) / len(terms) if terms else None
