"""WESAD (Schmidt et al. 2018), one folder per subject `SX/`, in either official layout:

- `SX/SX_E4_Data.zip` (or the extracted folder `SX/SX_E4_Data/`): the raw Empatica E4 export,
  read in place. Its clock is not the clock of `SX_quest.csv` (the chest device's), so labels
  come from the dataset's `labels_e4_unix.csv`: one row per condition with `subject,
  condition, code, start_unix, end_unix` on the E4 clock (codes 1 baseline, 2 stress,
  3 amusement, 4 meditation; others are readings and transients and label nothing).
- `SX/SX.pkl`: the official (Python 2) pickle {"signal": {"chest": {...}, "wrist": {...}},
  "label": ..., "subject": "SX"}, wrist ACC 32 Hz, BVP 64 Hz, EDA and TEMP 4 Hz, chest
  signals and `label` at 700 Hz. Loading a pickle can run code, so it is read only when the
  user opts in (`trust_pickle`), and then only numpy arrays, strings and containers are
  admitted. With the option the pickle is preferred when a subject has both layouts.

`SX_quest.csv` (`;`-separated) lists the conditions in time order (`# ORDER`, readings
last) and one `# DIM` row (SAM valence, arousal, 1–9) per rated condition, in that order;
these become self-report markers at the end of each condition, never class labels.
"""

from __future__ import annotations

import codecs
import csv
import pickle
import re
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from emostream.core.spec import StreamSpec
from emostream.datasets.base import (
    Dataset,
    LabelledRecording,
    SamReport,
    choose_label_set,
    marker_order,
    report_markers,
    segment_markers,
)
from emostream.errors import RecordingError, UsageError
from emostream.formats.base import RecordedStream, Recording
from emostream.formats.registry import read_recording

LABEL_RATE_HZ = 700.0
LABEL_CODES = {1: "baseline", 2: "stress", 3: "amusement", 4: "meditation"}
#: first word of a questionnaire condition name -> label code (readings are not rated)
QUEST_CODES = {"base": 1, "tsst": 2, "fun": 3, "medi": 4}
LABELS_TABLE = "labels_e4_unix.csv"

LABEL_SETS: dict[str, dict[str, object]] = {
    "3class": {"classes": ["baseline", "stress", "amusement"], "map": {"meditation": ""}},
    "binary": {
        "classes": ["non-stress", "stress"],
        "map": {"baseline": "non-stress", "amusement": "non-stress", "meditation": ""},
    },
    "4class": {"classes": ["baseline", "stress", "amusement", "meditation"]},
}
DEFAULT_LABEL_SET = "3class"

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
#: numpy's array reconstructor, under whichever module this numpy keeps it
_RECONSTRUCT = np.ndarray.__reduce__(np.zeros(0))[0]
#: the only globals a subject pickle may name (numpy 1 and 2 spellings)
PICKLE_GLOBALS: dict[tuple[str, str], Any] = {
    ("numpy.core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy._core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    # protocol-2 pickles written by Python 3 store array bytes as latin-1 strings
    ("_codecs", "encode"): codecs.encode,
}


@dataclass(frozen=True, slots=True)
class LabelRun:
    """One condition's official label run, in unix seconds on the E4 clock."""

    condition: str
    code: int
    start_unix: float
    end_unix: float


@dataclass(frozen=True, slots=True)
class Quest:
    """The parts of `SX_quest.csv` used here."""

    #: condition names in time order, readings excluded (the conditions the DIM rows rate)
    rated: tuple[str, ...]
    #: (valence, arousal) per rated condition
    sam: tuple[tuple[int, int], ...]


def _pickle_path(folder: Path) -> Path:
    return folder / f"{folder.name}.pkl"


def _e4_path(folder: Path) -> Path | None:
    for path in (folder / f"{folder.name}_E4_Data.zip", folder / f"{folder.name}_E4_Data"):
        if path.exists():
            return path
    return None


def _quest_path(folder: Path) -> Path:
    return folder / f"{folder.name}_quest.csv"


def open_dataset(
    root: str | Path, *, label_set: str = DEFAULT_LABEL_SET, trust_pickle: bool = False
) -> Dataset:
    """The subjects under `root`, each read from its pickle (only with `trust_pickle`) or its
    E4 export plus `labels_e4_unix.csv`."""
    root = Path(root)
    labels = choose_label_set(LABEL_SETS, label_set, "WESAD")
    folders = sorted(
        (p for p in root.iterdir() if p.is_dir() and _SUBJECT_RE.match(p.name)),
        key=lambda p: int(p.name[1:]),
    )
    pickled = {f.name for f in folders if _pickle_path(f).is_file()}
    exported = {f.name: e4 for f in folders if (e4 := _e4_path(f)) is not None}
    subjects = tuple(f.name for f in folders if f.name in pickled or f.name in exported)
    if not subjects:
        raise UsageError(
            f"{root}: no WESAD subject folders (SX/SX_E4_Data.zip, SX/SX_E4_Data/ or SX/SX.pkl)"
        )
    from_pickle = pickled if trust_pickle else set()
    only_pickle = sorted(pickled - set(exported) - from_pickle, key=lambda s: int(s[1:]))
    if only_pickle:
        raise UsageError(
            f"{root}: {', '.join(only_pickle)}: only the official pickle (SX.pkl) is there, and "
            "loading a pickle can run code hidden in the file. If you trust the files, pass "
            "--trust-pickle: they are then read admitting only numpy arrays, strings and dicts."
        )
    table = root / LABELS_TABLE
    from_e4 = [s for s in subjects if s not in from_pickle]
    runs: dict[str, list[LabelRun]] = {}
    if from_e4:
        if not table.is_file():
            raise UsageError(
                f"{table} not found: the raw E4 files of {', '.join(from_e4)} are not "
                "synchronised with SX_quest.csv (its times are on the chest device's clock), so "
                f"their labels cannot be placed. Put the dataset's {LABELS_TABLE} in {root}, or "
                "use the official SX.pkl files with --trust-pickle."
            )
        runs = read_label_runs(table)
        missing = [s for s in from_e4 if s not in runs]
        if missing:
            raise UsageError(f"{table}: no label runs for {', '.join(missing)}")
    inputs: dict[str, tuple[Path, ...]] = {}
    for subject in subjects:
        folder = root / subject
        quest = (_quest_path(folder),) if _quest_path(folder).is_file() else ()
        if subject in from_pickle:
            inputs[subject] = (_pickle_path(folder), *quest)
        else:
            e4 = exported[subject]
            files = sorted(p for p in e4.iterdir() if p.is_file()) if e4.is_dir() else [e4]
            inputs[subject] = (*files, *quest, table)
    load = partial(_load, root, from_pickle=frozenset(from_pickle), runs=runs)
    return Dataset("wesad", subjects, labels, inputs, load)


def _load(
    root: Path, subject: str, *, from_pickle: frozenset[str], runs: dict[str, list[LabelRun]]
) -> LabelledRecording:
    folder = root / subject
    quest_path = _quest_path(folder)
    quest = read_quest(quest_path) if quest_path.is_file() else None
    if subject in from_pickle:
        path = _pickle_path(folder)
        recording, labels = read_pickle(path, subject)
        segments = label_segments(labels)
        reports = _pickle_reports(segments, quest, quest_path, path) if quest else []
    else:
        e4 = _e4_path(folder)
        assert e4 is not None  # open_dataset listed this subject for its export
        _, recording = read_recording(e4, "e4")
        offset = recording.unix_offset_s or 0.0
        rows = runs[subject]
        segments = [
            (r.start_unix - offset, r.end_unix - offset, LABEL_CODES[r.code])
            for r in rows
            if r.code in LABEL_CODES
        ]
        reports = _e4_reports(rows, offset, quest, quest_path) if quest else []
    markers = sorted(segment_markers(segments) + report_markers(reports), key=marker_order)
    return LabelledRecording(subject, recording, markers, reports)


def read_label_runs(path: Path) -> dict[str, list[LabelRun]]:
    """Per subject, the rows of `labels_e4_unix.csv` in time order."""
    out: dict[str, list[LabelRun]] = {}
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            for line, row in enumerate(csv.DictReader(fh), 2):
                try:
                    run = LabelRun(
                        row["condition"].strip(),
                        int(row["code"]),
                        float(row["start_unix"]),
                        float(row["end_unix"]),
                    )
                except KeyError as exc:
                    raise RecordingError(f"missing column {exc}", file=path) from None
                except (TypeError, ValueError):
                    raise RecordingError(
                        f"line {line}: code, start_unix and end_unix must be numbers", file=path
                    ) from None
                out.setdefault(row["subject"].strip(), []).append(run)
    except OSError as exc:
        raise RecordingError(f"cannot read: {exc.strerror}", file=path) from None
    return {s: sorted(rows, key=lambda r: r.start_unix) for s, rows in out.items()}


def _e4_reports(
    rows: list[LabelRun], offset: float, quest: Quest, quest_path: Path
) -> list[SamReport]:
    by_name = {r.condition: r for r in rows}
    reports = []
    for name, (valence, arousal) in zip(quest.rated, quest.sam, strict=True):
        run = by_name.get(name)
        if run is None:
            raise RecordingError(
                f"condition '{name}' has no row in {LABELS_TABLE}", file=quest_path
            )
        reports.append(
            SamReport(name, run.start_unix - offset, run.end_unix - offset, valence, arousal)
        )
    return reports


def _pickle_reports(
    segments: list[tuple[float, float, str]], quest: Quest, quest_path: Path, path: Path
) -> list[SamReport]:
    """Pair the rated conditions with the pickle's label runs, both in time order."""
    names = [LABEL_CODES[QUEST_CODES[n.lower().split()[0]]] for n in quest.rated]
    if names != [name for _, _, name in segments]:
        raise RecordingError(
            f"conditions {', '.join(quest.rated)} do not match the label runs of {path.name}",
            file=quest_path,
        )
    return [
        SamReport(name, t_from, t_to, valence, arousal)
        for name, (t_from, t_to, _), (valence, arousal) in zip(
            quest.rated, segments, quest.sam, strict=True
        )
    ]


class _RestrictedUnpickler(pickle.Unpickler):
    """Admits only what the official subject files hold: numpy arrays, dtypes, strings and
    containers. Any other global (a function that could run code) is refused."""

    def __init__(self, fh: Any, path: Path):
        super().__init__(fh, encoding="latin1")
        self.path = path

    def find_class(self, module: str, name: str) -> Any:
        try:
            return PICKLE_GLOBALS[(module, name)]
        except KeyError:
            raise RecordingError(
                f"refused to load '{module}.{name}': a WESAD subject pickle holds only numpy "
                "arrays, strings and dicts, so this file is not one (it could run code)",
                file=self.path,
            ) from None


def read_pickle(path: Path, subject: str) -> tuple[Recording, np.ndarray]:
    """The subject's chest and wrist streams and its 700 Hz label array."""
    try:
        with path.open("rb") as fh:
            content: Any = _RestrictedUnpickler(fh, path).load()
        signals = content["signal"]
        labels = np.asarray(content["label"]).reshape(-1)
    except (OSError, pickle.UnpicklingError, EOFError, KeyError, TypeError, ValueError) as exc:
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
    return Recording(streams, None, {"path": str(path), "format": "wesad-pkl"}), labels


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


def read_quest(path: Path) -> Quest:
    """The rated conditions (`# ORDER` without the readings) and their `# DIM` rows."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except OSError as exc:
        raise RecordingError(f"cannot read: {exc.strerror}", file=path) from None
    order: list[str] | None = None
    sam: list[tuple[int, int]] = []
    for line in lines:
        cells = [c.strip() for c in line.split(";")]
        values = [c for c in cells[1:] if c]
        if cells[0] == "# ORDER":
            order = values
        elif cells[0] == "# DIM":
            if len(values) != 2 or not all(v.isdigit() and 1 <= int(v) <= 9 for v in values):
                raise RecordingError(
                    f"'# DIM' rows hold two SAM ratings 1..9 (valence, arousal), not {values}",
                    file=path,
                )
            sam.append((int(values[0]), int(values[1])))
    if order is None:
        raise RecordingError("no '# ORDER' row", file=path)
    rated = tuple(n for n in order if n.lower().split()[0] in QUEST_CODES)
    if len(sam) != len(rated):
        raise RecordingError(
            f"{len(sam)} '# DIM' row(s) for {len(rated)} rated condition(s) in '# ORDER'",
            file=path,
        )
    return Quest(rated, tuple(sam))
