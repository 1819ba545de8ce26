"""NeuroKit2-style CSV recordings: one header row of signal names (ECG, EDA, RSP, PPG, ...),
one column per signal, no time column; the sampling rate must be given (`fs_hz`)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

from emostream.core.spec import StreamSpec
from emostream.errors import RecordingError, UsageError
from emostream.formats.base import RecordedStream, Recording

#: column name (case-insensitive) -> (stream kind, unit)
COLUMNS: dict[str, tuple[str, str]] = {
    "ecg": ("ECG", "millivolts"),
    "eda": ("EDA", "microsiemens"),
    "rsp": ("RSP", "arbitrary"),
    "ppg": ("PPG", "arbitrary"),
    "eeg": ("EEG", "microvolts"),
}
#: columns of NeuroKit2's example data that are not physiological streams
IGNORED = ("photosensor", "veog", "heog", "eog", "emg")


def _header(path: Path) -> list[str]:
    try:
        with path.open("r", encoding="utf-8-sig") as fh:
            return [c.strip() for c in fh.readline().split(",")]
    except (OSError, UnicodeDecodeError):
        return []


def detect(path: Path) -> bool:
    """A .csv whose header names only NeuroKit2 signal columns, at least one of them known."""
    path = Path(path)
    if not (path.is_file() and path.suffix.lower() == ".csv"):
        return False
    names = [c.lower() for c in _header(path)]
    return any(c in COLUMNS for c in names) and all(c in COLUMNS or c in IGNORED for c in names)


def read(path: Path, fs_hz: float | None = None) -> Recording:
    """Read the known columns as regular streams at `fs_hz`, starting at t = 0."""
    path = Path(path)
    if fs_hz is None or not fs_hz > 0:
        raise UsageError(
            f"{path}: a NeuroKit-style CSV has no time column; give its rate with --fs-hz"
        )
    try:
        frame = pd.read_csv(path)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise RecordingError(f"cannot read CSV: {exc}", file=path) from None
    known = [c for c in frame.columns if str(c).strip().lower() in COLUMNS]
    if not known or frame.empty:
        names = ", ".join(k.upper() for k in COLUMNS)
        raise RecordingError(
            f"no signal columns ({names}) or no rows; is this a NeuroKit CSV?", file=path
        )
    digest = hashlib.sha1(path.name.encode()).hexdigest()[:10]
    ts = np.arange(len(frame)) / float(fs_hz)
    streams: dict[str, RecordedStream] = {}
    for column in known:
        kind, unit = COLUMNS[str(column).strip().lower()]
        try:
            data = frame[[column]].to_numpy(dtype=float)
        except ValueError:
            raise RecordingError(f"column {column!r} holds non-numeric values", file=path) from None
        spec = StreamSpec(
            kind,
            f"{path.stem}-{column}",
            (str(column),),
            (unit,),
            float(fs_hz),
            f"nkcsv-{digest}-{kind.lower()}",
        )
        streams[kind.lower()] = RecordedStream(spec, ts, data)
    skipped = [str(c) for c in frame.columns if c not in known]
    return Recording(
        streams,
        unix_offset_s=None,
        meta={"format": "neurokit-csv", "file": str(path), "skipped_columns": skipped},
    )
