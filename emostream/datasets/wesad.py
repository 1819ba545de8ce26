"""WESAD (Schmidt et al. 2018) in either of its two layouts, one folder per subject `SX/`:

- `SX/SX.pkl`: a (Python 2) pickle {"signal": {"chest": {...}, "wrist": {...}}, "label": ...,
  "subject": "SX"}. Chest signals (ECG, Resp, ...) are at 700 Hz; wrist ACC 32 Hz, BVP 64 Hz,
  EDA and TEMP 4 Hz. `label` is at 700 Hz: 1 baseline, 2 stress, 3 amusement, 4 meditation
  (0 and 5–7 are transient or unused).
- `SX/SX_E4_Data/` (an Empatica E4 export) with `SX/SX_quest.csv`, whose `# ORDER`, `# START`
  and `# END` rows give each protocol phase and its bounds in minutes.seconds from the start
  of the recording (taken here as the E4 recording's start).

The pickle is preferred when a subject has both.
"""

from __future__ import annotations

import pickle
import re
from pathlib import Path
from typing import Any

import numpy as np

from emostream.core.spec import StreamSpec
from emostream.datasets.base import Dataset, LabelledRecording, segment_markers
from emostream.errors import RecordingError, UsageError
from emostream.formats.base import RecordedStream, Recording
from emostream.formats.registry import read_recording

LABEL_RATE_HZ = 700.0
LABEL_CODES = {1: "baseline", 2: "stress", 3: "amusement", 4: "meditation"}
#: questionnaire phase names → segment names (readings are not labelled)
QUEST_PHASES = {"base": "baseline", "tsst": "stress", "fun": "amusement", "medi": "meditation"}

LABELS: dict[str, object] = {
    "classes": ["baseline", "stress", "amusement"],
    "map": {"meditation": ""},
}

#: pickle signal -> (stream kind, channels, units, rate Hz, scale)
_WRIST = {
    "BVP": ("PPG", ("BVP",), ("nanowatt",), 64.0, 1.0),
    "EDA": ("EDA", ("EDA",), ("microsiemens",), 4.0, 1.0),
    "TEMP": ("TEMP", ("TEMP",), ("celsius",), 4.0, 1.0),
    "ACC": ("ACC", ("x", "y", "z"), ("g", "g", "g"), 32.0, 1.0 / 64.0),
}
_CHEST = {
    "ECG": ("ECG", ("ECG",), ("millivolts",), LABEL_RATE_HZ, 1.0),
    "Resp": ("RSP", ("RSP",), ("percent",), LABEL_RATE_HZ, 1.0),
}
_SUBJECT_RE = re.compile(r"^S\d+$")


def _has_pickle(folder: Path) -> bool:
    return (folder / f"{folder.name}.pkl").is_file()


def _has_e4(folder: Path) -> bool:
    return (folder / f"{folder.name}_E4_Data").is_dir() and (
        folder / f"{folder.name}_quest.csv"
    ).is_file()


def open_dataset(root: str | Path) -> Dataset:
    root = Path(root)
    subjects = sorted(
        (
            p.name
            for p in root.iterdir()
            if p.is_dir() and _SUBJECT_RE.match(p.name) and (_has_pickle(p) or _has_e4(p))
        ),
        key=lambda s: int(s[1:]),
    )
    if not subjects:
        raise UsageError(
            f"{root}: no WESAD subject folders (SX/SX.pkl or SX/SX_E4_Data + SX_quest.csv)"
        )
    return Dataset("wesad", tuple(subjects), LABELS)


def load_subject(root: str | Path, subject: str) -> LabelledRecording:
    folder = Path(root) / subject
    if _has_pickle(folder):
        return _from_pickle(folder / f"{subject}.pkl", subject)
    _, recording = read_recording(folder / f"{subject}_E4_Data", "e4")
    segments = read_quest(folder / f"{subject}_quest.csv")
    return LabelledRecording(subject, recording, segment_markers(segments))


def _from_pickle(path: Path, subject: str) -> LabelledRecording:
    try:
        with path.open("rb") as fh:
            content: Any = pickle.load(fh, encoding="latin1")
        signals = content["signal"]
        labels = np.asarray(content["label"]).reshape(-1)
    except (OSError, pickle.UnpicklingError, EOFError, KeyError, TypeError) as exc:
        raise RecordingError(
            f"not a WESAD subject pickle ({type(exc).__name__}: {exc})", file=path
        ) from None
    streams: dict[str, RecordedStream] = {}
    for location, table in (("wrist", _WRIST), ("chest", _CHEST)):
        for signal, (kind, channels, units, rate_hz, scale) in table.items():
            values = signals.get(location, {}).get(signal)
            if values is None:
                continue
            data = np.asarray(values, dtype=np.float64).reshape(len(values), -1) * scale
            spec = StreamSpec(
                kind,
                f"WESAD-{subject}-{signal}",
                channels,
                units,
                rate_hz,
                f"wesad:{subject}:{location}:{signal.lower()}",
            )
            ts = np.arange(len(data), dtype=np.float64) / rate_hz
            streams[kind.lower()] = RecordedStream(spec, ts, data)
    if not streams:
        raise RecordingError("WESAD pickle holds no known chest or wrist signal", file=path)
    recording = Recording(streams, None, {"path": str(path), "format": "wesad-pkl"})
    return LabelledRecording(subject, recording, segment_markers(label_segments(labels)))


def label_segments(
    labels: np.ndarray, rate_hz: float = LABEL_RATE_HZ
) -> list[tuple[float, float, str]]:
    """(t_from_s, t_to_s, name) for each run of a known label code in a sampled label array."""
    if not labels.size:
        return []
    edges = np.flatnonzero(np.diff(labels)) + 1
    starts = np.concatenate(([0], edges))
    ends = np.concatenate((edges, [labels.size]))
    return [
        (float(a) / rate_hz, float(b) / rate_hz, LABEL_CODES[int(labels[a])])
        for a, b in zip(starts, ends, strict=True)
        if int(labels[a]) in LABEL_CODES
    ]


def _minutes_seconds(text: str, path: Path) -> float:
    """'7.08' → 428 s; '50.3' → 50 min 30 s (the field is minutes.seconds)."""
    minutes, _, seconds = text.strip().partition(".")
    if not minutes.isdigit() or (seconds and not seconds.isdigit()):
        raise RecordingError(f"time {text!r} is not minutes.seconds", file=path)
    return int(minutes) * 60.0 + (int(seconds.ljust(2, "0")) if seconds else 0)


def read_quest(path: Path) -> list[tuple[float, float, str]]:
    """Protocol phases of a `SX_quest.csv` as (t_from_s, t_to_s, segment name)."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except OSError as exc:
        raise RecordingError(f"cannot read: {exc.strerror}", file=path) from None
    rows = {}
    for line in lines:
        cells = [c.strip() for c in line.split(";")]
        if cells and cells[0] in ("# ORDER", "# START", "# END"):
            rows[cells[0]] = [c for c in cells[1:] if c]
    if len(rows) != 3 or not len(rows["# ORDER"]) == len(rows["# START"]) == len(rows["# END"]):
        raise RecordingError(
            "needs '# ORDER', '# START' and '# END' rows of equal length", file=path
        )
    segments = []
    for name, start, end in zip(rows["# ORDER"], rows["# START"], rows["# END"], strict=True):
        key = name.lower().split()[0]
        if key in QUEST_PHASES:
            segments.append(
                (_minutes_seconds(start, path), _minutes_seconds(end, path), QUEST_PHASES[key])
            )
    return segments
