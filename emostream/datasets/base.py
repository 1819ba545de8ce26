"""A labelled dataset: per subject, a recording plus its label markers on the recording clock.

Loaders turn a dataset's own annotation (phase tables, label arrays, questionnaires) into the
marker grammar of docs/labels.md, so training and evaluation see labels exactly as a live
session would, through the same `LabelTracker`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from emostream.formats.base import Recording


@dataclass(slots=True)
class LabelledRecording:
    subject: str
    recording: Recording
    #: (t_s, marker) on the recording's clock, time-ordered
    markers: list[tuple[float, str]]


@dataclass(frozen=True, slots=True)
class Dataset:
    """Subjects of one dataset and the `[labels]` table its markers are meant for."""

    name: str
    subjects: tuple[str, ...]
    labels: dict[str, Any]
    #: the phase each session declares as the wearer's baseline (`[model] baseline_phase`)
    baseline_phase: str = "baseline"


def segment_markers(segments: list[tuple[float, float, str]]) -> list[tuple[float, str]]:
    """`phase:<name>:start/end` markers for (t_from_s, t_to_s, name) segments, time-ordered."""
    out: list[tuple[float, str]] = []
    for t_from, t_to, name in segments:
        out += [(t_from, f"phase:{name}:start"), (t_to, f"phase:{name}:end")]
    # at a shared edge the end of one segment comes before the start of the next
    return sorted(out, key=lambda m: (m[0], not m[1].endswith(":end")))
