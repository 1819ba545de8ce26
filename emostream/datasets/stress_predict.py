"""Stress-Predict (Iqbal et al. 2022): Empatica E4 folders plus the protocol phase table.

Layout: `Raw_data/SXX/` (E4 export) and `Processed_data/time_logs_utc.csv` (one row per phase:
subject, phase, stress_task, start_unix, end_unix, ...). Labels are stress task (Stroop,
Interview, Hyperventilation) vs rest (Relax1–3, Baseline/Questionnaire, Relax/Baseline), as
the classes `stress` and `calm` (the default label set, so a model trained here warm-starts
any pipeline that keeps it); the Consent and Questionnaire phases are excluded.

The phase table was typed at minute resolution, and some of its task boundaries sit minutes
from when the tasks were run. The E4's event button was pressed as each task started and
ended (`tags_SXX.csv`, on the E4 clock), and the authors' own per-second labels follow those
presses; so each task's logged boundaries move to the presses that match them
(`snap_to_tags`).
"""

from __future__ import annotations

import csv
from functools import partial
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment

from emostream.datasets.base import Dataset, LabelledRecording, choose_label_set, segment_markers
from emostream.errors import UsageError
from emostream.formats.registry import read_recording

PHASE_TABLE = Path("Processed_data") / "time_logs_utc.csv"
RAW_DIR = Path("Raw_data")

PHASE_CLASSES = {
    "stroop": "stress",
    "interview": "stress",
    "hyperventilation": "stress",
    "relax1": "calm",
    "relax2": "calm",
    "relax3": "calm",
    "baseline-questionnaire": "calm",
    "relax-baseline": "calm",
    "consent": "",
    "questionnaire": "",
}
LABELS: dict[str, object] = {"classes": ["calm", "stress"], "map": PHASE_CLASSES}


#: the protocol's declared rest baseline (3–8 min after the E4 starts, before the Stroop task;
#: S01 alone had it after the Stroop task and the first relaxation)
BASELINE_PHASE = "baseline-questionnaire"

#: the phases whose start and end the E4 tags mark: the stress tasks
TASK_PHASES = frozenset(phase for phase, label in PHASE_CLASSES.items() if label == "stress")

#: farthest a tag may lie from a task's logged boundary to replace it (s). The table's
#: boundaries lie up to 163 s from the presses that match them, and a subject's task
#: boundaries, once moved, are at least 96 s apart
TAG_MATCH_S = 180.0

LABEL_SETS = {"binary": LABELS}
DEFAULT_LABEL_SET = "binary"


def phase_name(raw: str) -> str:
    """Marker-safe phase name: 'Baseline/Questionnaire' → 'baseline-questionnaire'."""
    return raw.strip().lower().replace("/", "-").replace(" ", "-")


def read_phase_table(root: Path) -> dict[str, list[tuple[float, float, str]]]:
    """Per subject: (start_unix, end_unix, phase name) rows of the phase table."""
    path = root / PHASE_TABLE
    try:
        with path.open(newline="") as fh:
            rows = list(csv.DictReader(fh))
    except FileNotFoundError:
        raise UsageError(
            f"{path}: phase table not found; is {root} a Stress-Predict folder?"
        ) from None
    out: dict[str, list[tuple[float, float, str]]] = {}
    try:
        for row in rows:
            out.setdefault(row["subject"], []).append(
                (float(row["start_unix"]), float(row["end_unix"]), phase_name(row["phase"]))
            )
    except (KeyError, ValueError) as exc:
        raise UsageError(f"{path}: unexpected phase table content ({exc})") from None
    return out


def open_dataset(root: str | Path, *, label_set: str = DEFAULT_LABEL_SET) -> Dataset:
    root = Path(root)
    labels = choose_label_set(LABEL_SETS, label_set, "Stress-Predict")
    table = read_phase_table(root)
    subjects = tuple(s for s in sorted(table) if (root / RAW_DIR / s).is_dir())
    if not subjects:
        raise UsageError(f"{root / RAW_DIR}: no subject folders matching the phase table")
    inputs = {
        s: (*sorted(p for p in (root / RAW_DIR / s).iterdir() if p.is_file()), root / PHASE_TABLE)
        for s in subjects
    }
    return Dataset(
        "stress-predict", subjects, labels, inputs, partial(load_subject, root), BASELINE_PHASE
    )


Segment = tuple[float, float, str]


def snap_to_tags(
    segments: list[Segment], tags_s: np.ndarray, max_shift_s: float = TAG_MATCH_S
) -> list[Segment]:
    """`segments` with the stress tasks' logged boundaries moved to the tags pressed at them.

    Boundaries and tags are paired one to one so that the total shift is least (pairs more
    than `max_shift_s` apart are not made; a boundary without a pair stays). A rest phase
    that met a task at a boundary moves with it, and is cut where a moved task overlaps it
    (dropped if nothing is left). A task whose pairs would leave it empty stays as logged."""
    tasks = [k for k, (_, _, name) in enumerate(segments) if name in TASK_PHASES]
    logged = np.asarray([segments[k][edge] for k in tasks for edge in (0, 1)], dtype=float)
    moved = logged.copy()
    tags_s = np.asarray(tags_s, dtype=float)
    if logged.size and tags_s.size:
        shift = np.abs(logged[:, None] - tags_s[None, :])
        rows, cols = linear_sum_assignment(np.where(shift <= max_shift_s, shift, 1e9))
        near = shift[rows, cols] <= max_shift_s
        moved[rows[near]] = tags_s[cols[near]]
    new_edges: dict[float, float] = {}
    out = list(segments)
    for j, k in enumerate(tasks):
        start, end = moved[2 * j], moved[2 * j + 1]
        if start >= end:
            start, end = logged[2 * j], logged[2 * j + 1]
        out[k] = (float(start), float(end), segments[k][2])
        new_edges[float(logged[2 * j])] = float(start)
        new_edges[float(logged[2 * j + 1])] = float(end)
    spans = [out[k][:2] for k in tasks]
    for k, (start, end, name) in enumerate(segments):
        if name in TASK_PHASES:
            continue
        start, end = new_edges.get(start, start), new_edges.get(end, end)
        for t_from, t_to in spans:
            if start < t_to and end > t_from:  # overlaps the task: keep the side outside it
                start, end = (t_to, end) if start >= t_from else (start, t_from)
        out[k] = (start, end, name)
    return [seg for seg in out if seg[0] < seg[1]]


def load_subject(root: str | Path, subject: str) -> LabelledRecording:
    """The subject's E4 recording and its phase markers on the recording clock, the tasks'
    boundaries moved to the E4 tags that mark them (`snap_to_tags`)."""
    root = Path(root)
    _, recording = read_recording(root / RAW_DIR / subject, "e4")
    offset = recording.unix_offset_s or 0.0
    segments = [
        (start - offset, end - offset, name) for start, end, name in read_phase_table(root)[subject]
    ]
    tags = recording.streams.get("markers")
    if tags is not None:
        segments = snap_to_tags(segments, tags.timestamps)
    return LabelledRecording(subject, recording, segment_markers(segments))
