"""A labelled dataset: per subject, a recording plus its label markers on the recording clock.

Loaders turn a dataset's own annotation (phase tables, label arrays, questionnaires) into the
marker grammar of docs/labels.md, so training and evaluation see labels exactly as a live
session would, through the same `LabelTracker`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from emostream.errors import UsageError
from emostream.formats.base import Recording


class SamReport(NamedTuple):
    """A Self-Assessment Manikin rating (1–9) of one condition, on the recording clock."""

    condition: str
    t_from_s: float
    t_to_s: float
    valence: int
    arousal: int


@dataclass(slots=True)
class LabelledRecording:
    subject: str
    recording: Recording
    #: (t_s, marker) on the recording's clock, time-ordered
    markers: list[tuple[float, str]]
    #: the subject's self-reports per condition (also in `markers` as `report:` markers)
    reports: list[SamReport] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Dataset:
    """Subjects of one dataset and the `[labels]` table its markers are meant for."""

    name: str
    subjects: tuple[str, ...]
    labels: dict[str, Any]
    #: per subject, every file its recording, labels and reports are read from
    inputs: dict[str, tuple[Path, ...]]
    #: reads one subject
    load: Callable[[str], LabelledRecording]
    #: the phase each session declares as the wearer's baseline (`[model] baseline_phase`)
    baseline_phase: str = "baseline"


def choose_label_set(sets: dict[str, dict[str, Any]], name: str, dataset: str) -> dict[str, Any]:
    """The `[labels]` table of the label set `name` of a dataset."""
    if name not in sets:
        raise UsageError(
            f"--label-set: '{name}' is not a label set of {dataset} (choose {', '.join(sets)})"
        )
    return sets[name]


_EDGE_ORDER = {"end": 0, "report": 1, "start": 2}


def marker_order(marker: tuple[float, str]) -> tuple[float, int]:
    """Sort key: by time; at one instant segment ends, then reports, then segment starts."""
    t_s, text = marker
    kind = "report" if text.startswith("report:") else text.rsplit(":", 1)[-1]
    return t_s, _EDGE_ORDER.get(kind, 1)


def segment_markers(segments: list[tuple[float, float, str]]) -> list[tuple[float, str]]:
    """`phase:<name>:start/end` markers for (t_from_s, t_to_s, name) segments, time-ordered."""
    out: list[tuple[float, str]] = []
    for t_from, t_to, name in segments:
        out += [(t_from, f"phase:{name}:start"), (t_to, f"phase:{name}:end")]
    return sorted(out, key=marker_order)


def report_markers(reports: list[SamReport]) -> list[tuple[float, str]]:
    """`report:<N>s:valence=V,arousal=A` at the end of each rated condition (N its duration)."""
    out = []
    for r in reports:
        if r.t_to_s > r.t_from_s:
            span = f"{r.t_to_s - r.t_from_s:.3f}".rstrip("0").rstrip(".")
            out.append((r.t_to_s, f"report:{span}s:valence={r.valence},arousal={r.arousal}"))
    return out
