"""Synthetic feature sessions: phases with known physiology shifts, markers at the edges."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from emostream.features.base import FeatureVector

#: per-phase shift of each feature, in units of its within-phase noise
PHASE_SHIFT = {
    "baseline": {"hr_bpm": 0.0, "eda_scl_us": 0.0, "hrv_rmssd_ms": 0.0, "eda_scr_count": 0.0},
    "stress": {"hr_bpm": 2.5, "eda_scl_us": 2.0, "hrv_rmssd_ms": -2.0, "eda_scr_count": 2.0},
    "recovery": {"hr_bpm": 0.3, "eda_scl_us": 0.5, "hrv_rmssd_ms": -0.2, "eda_scr_count": 0.2},
}
NOISE = {"hr_bpm": 3.0, "eda_scl_us": 0.3, "hrv_rmssd_ms": 6.0, "eda_scr_count": 1.0}

Session = list[FeatureVector]
#: the protocol starts a little after the data, so its first marker falls inside a window
PROTOCOL_START_S = 1.0


def make_session(
    phases: list[tuple[str, float]],
    *,
    seed: int = 0,
    subject_offset: float = 0.0,
    length_s: float = 30.0,
    hop_s: float = 5.0,
    markers: bool = True,
    gap: tuple[float, float] | None = None,
) -> Session:
    """Windows over `phases` [(name, duration_s)], with `phase:<name>:start/end` markers.

    `subject_offset` shifts every feature (a different person's resting level); `gap`
    (t_from, t_to) drops the windows overlapping it, as a device dropout would.
    """
    rng = np.random.default_rng(seed)
    base = {"hr_bpm": 70.0, "eda_scl_us": 2.0, "hrv_rmssd_ms": 40.0, "eda_scr_count": 3.0}
    edges: list[tuple[float, str, str]] = []
    t = PROTOCOL_START_S
    bounds = []
    for name, duration in phases:
        edges += [(t, name, "start"), (t + duration, name, "end")]
        bounds.append((t, t + duration, name))
        t += duration
    marker_list = [(te, f"phase:{n}:{e}") for te, n, e in edges]
    out: Session = []
    t_end = length_s
    while t_end <= t + 2 * hop_s:
        t_start = t_end - length_s
        if gap is None or not (t_start < gap[1] and t_end > gap[0]):
            name = next((n for a, b, n in bounds if a < t_end <= b), phases[0][0])
            values = {
                k: base[k] * (1 + subject_offset) + NOISE[k] * (PHASE_SHIFT[name][k] + rng.normal())
                for k in base
            }
            mk = [(tm, m) for tm, m in marker_list if t_start < tm <= t_end] if markers else []
            out.append(FeatureVector(t_start=t_start, t_end=t_end, values=values, markers=mk))
        t_end += hop_s
    return out


@pytest.fixture
def session() -> Callable[..., Session]:
    return make_session
