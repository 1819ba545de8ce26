"""Stress-Predict (Iqbal et al. 2022): Empatica E4 folders plus the protocol phase table.

Layout: `Raw_data/SXX/` (E4 export) and `Processed_data/time_logs_utc.csv` (one row per phase:
subject, phase, stress_task, start_unix, end_unix, ...). Labels are stress task (Stroop,
Interview, Hyperventilation) vs rest (Relax1–3, Baseline/Questionnaire, Relax/Baseline), as
the classes `stress` and `calm` (the default label set, so a model trained here warm-starts
any pipeline that keeps it); the Consent and Questionnaire phases are excluded.
"""

from __future__ import annotations

import csv
from functools import partial
from pathlib import Path

from emostream.datasets.base import Dataset, LabelledRecording, choose_label_set, segment_markers
from emostream.errors import UsageError
from emostream.formats.registry import read_recording

PHASE_TABLE = Path("Processed_data") / "time_logs_utc.csv"
RAW_DIR = Path("Raw_data")

LABELS: dict[str, object] = {
    "classes": ["calm", "stress"],
    "map": {
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
    },
}


#: the protocol's declared rest baseline (3–8 min after the E4 starts, before the Stroop task;
#: S01 alone had it after the Stroop task and the first relaxation)
BASELINE_PHASE = "baseline-questionnaire"

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


def load_subject(root: str | Path, subject: str) -> LabelledRecording:
    """The subject's E4 recording and its phase markers on the recording clock."""
    root = Path(root)
    _, recording = read_recording(root / RAW_DIR / subject, "e4")
    offset = recording.unix_offset_s or 0.0
    segments = [
        (start - offset, end - offset, name) for start, end, name in read_phase_table(root)[subject]
    ]
    return LabelledRecording(subject, recording, segment_markers(segments))
