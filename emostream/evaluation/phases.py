"""Where a model errs: accuracy within each named protocol phase.

A balanced accuracy says how often a model is right; it does not say in which part of the
protocol it is wrong. Each labelled window that lies inside one `phase:<name>` segment is
credited to that phase, and a phase's accuracy is the fraction of its windows predicted as
its class (the recall of that class within the phase), per subject and then summarised over
subjects.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from emostream.datasets.reorder import labelled_segments
from emostream.datasets.windows import SubjectWindows
from emostream.evaluation import stats
from emostream.labels import LabelConfig


def window_phases(
    subject: SubjectWindows, labels: LabelConfig, baseline_phase: str
) -> list[str | None]:
    """Name of the labelled phase (or the declared baseline) that each window lies entirely
    inside; None for windows across a phase edge or outside every such phase."""
    markers = sorted(
        dict.fromkeys(m for fv in subject.windows for m in fv.markers), key=lambda m: m[0]
    )
    segments = labelled_segments(markers, labels, baseline_phase)
    return [
        next((n for t_from, t_to, n in segments if t_from <= fv.t_start and fv.t_end <= t_to), None)
        for fv in subject.windows
    ]


def phase_accuracy(
    truth: Sequence[str | None], predicted: Sequence[str], phases: Sequence[str | None]
) -> dict[str, dict[str, Any]]:
    """Per phase of one session: its class, the fraction of its labelled windows predicted as
    that class, and their number."""
    hits: dict[str, list[bool]] = {}
    classes: dict[str, str] = {}
    for label, state, phase in zip(truth, predicted, phases, strict=True):
        if label is None or phase is None:
            continue
        hits.setdefault(phase, []).append(state == label)
        classes.setdefault(phase, label)
    return {
        phase: {"class": classes[phase], "accuracy": float(np.mean(h)), "n_windows": len(h)}
        for phase, h in hits.items()
    }


def summarise_phases(
    per_subject: Mapping[str, Sequence[Mapping[str, Mapping[str, Any]]]],
) -> dict[str, dict[str, Any]]:
    """Per phase, over subjects: mean accuracy (each subject's mean over its runs, e.g.
    seeds) with a bootstrap 95% CI, the minimum and its subject, the windows scored, and
    each subject's accuracy. Phases come in the order of their mean position in the sessions."""
    accuracy: dict[str, dict[str, float]] = {}
    windows: dict[str, int] = {}
    classes: dict[str, str] = {}
    positions: dict[str, list[int]] = {}
    for subject, runs in per_subject.items():
        for run in runs:
            for position, phase in enumerate(run):
                positions.setdefault(phase, []).append(position)
        for phase in dict.fromkeys(p for run in runs for p in run):
            scored = [run[phase] for run in runs if phase in run]
            accuracy.setdefault(phase, {})[subject] = float(
                np.mean([s["accuracy"] for s in scored])
            )
            windows[phase] = windows.get(phase, 0) + int(np.mean([s["n_windows"] for s in scored]))
            classes.setdefault(phase, scored[0]["class"])
    out: dict[str, dict[str, Any]] = {}
    for phase in sorted(accuracy, key=lambda p: float(np.mean(positions[p]))):
        by_subject = accuracy[phase]
        names = sorted(by_subject)
        values = [by_subject[s] for s in names]
        worst = int(np.argmin(values))
        out[phase] = {
            "class": classes[phase],
            "accuracy_mean": float(np.mean(values)),
            "accuracy_ci95": stats.bootstrap_ci(values),
            "accuracy_min": values[worst],
            "worst_subject": names[worst],
            "n_subjects": len(names),
            "n_windows": windows[phase],
            "per_subject": dict(zip(names, values, strict=True)),
        }
    return out


def phase_table(
    by_protocol: Mapping[str, Mapping[str, Mapping[str, Any]]],
) -> tuple[list[str], list[list[Any]]]:
    """The protocols with phase summaries, and one row per phase: name, class, windows,
    subjects, then each protocol's mean accuracy (None where it has no such phase)."""
    names = [p for p, summary in by_protocol.items() if summary]
    rows = []
    for phase in dict.fromkeys(ph for p in names for ph in by_protocol[p]):
        first = next(by_protocol[p][phase] for p in names if phase in by_protocol[p])
        cells = [by_protocol[p].get(phase, {}).get("accuracy_mean") for p in names]
        rows.append([phase, first["class"], first["n_windows"], first["n_subjects"], *cells])
    return names, rows
