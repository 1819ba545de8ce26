"""Feature windows of small synthetic subjects: a baseline, then stress and amusement."""

from __future__ import annotations

import zlib

import numpy as np

from emostream.datasets.base import segment_markers
from emostream.datasets.windows import SubjectWindows, attach_markers
from emostream.features.base import FeatureVector
from emostream.labels import LabelConfig, LabelTracker
from emostream.models.config import ModelConfig
from emostream.models.encoder import label_windows

LABELS = LabelConfig(classes=("baseline", "stress", "amusement"))
#: per phase: (SCL shift in µS, HR shift in bpm) above the subject's own level
EFFECTS = {"baseline": (0.0, 0.0), "stress": (2.0, 12.0), "amusement": (0.6, 4.0)}
LENGTH_S, HOP_S = 60.0, 10.0


def synthetic_subject(
    name: str, order: tuple[str, ...] = ("stress", "amusement")
) -> SubjectWindows:
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    level_us, level_bpm = rng.uniform(2, 8), rng.uniform(60, 80)
    phases = [("baseline", 600.0)] + [(p, 400.0) for p in order]
    segments, t = [], 0.0
    for phase, duration in phases:
        segments.append((t, t + duration, phase))
        t += duration + 120.0  # an unlabelled pause between phases
    windows = []
    for t_end in np.arange(LENGTH_S, t, HOP_S):
        phase = next((p for a, b, p in segments if a <= t_end - LENGTH_S / 2 < b), None)
        scl, hr = EFFECTS.get(phase, (0.3, 2.0))
        values = {
            "eda_scl_us": level_us + scl + rng.normal(0, 0.3),
            "hr_bpm": level_bpm + hr + rng.normal(0, 2.0),
        }
        windows.append(FeatureVector(float(t_end - LENGTH_S), float(t_end), values))
    markers = segment_markers(segments)
    attach_markers(windows, markers)
    spans = LabelTracker(LABELS).feed(markers)
    truth = label_windows([(w.t_start, w.t_end) for w in windows], spans, LABELS.min_overlap)
    return SubjectWindows(name, windows, truth)


def model_config(**overrides) -> ModelConfig:
    table = {
        "normalise": "baseline-phase",
        "min_baseline_windows": 10,
        "warmup_s": 0.0,
        **overrides,
    }
    return ModelConfig.from_tables(table, {"classes": list(LABELS.classes)})
