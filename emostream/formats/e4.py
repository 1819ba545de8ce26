"""Empatica E4 export folders: BVP, EDA, TEMP, ACC, HR, IBI and tags CSVs, gzipped or plain.

Layout (Empatica's `info.txt`): in BVP/EDA/TEMP/ACC/HR.csv row 0 is the start time (unix s,
UTC) and row 1 the sample rate (Hz), per column; samples follow. IBI.csv starts with
`t0, IBI`, then (seconds since t0, interval in s) rows. tags*.csv holds button presses in unix
seconds. Timestamps are seconds since the earliest start time, which is `unix_offset_s`.
"""

from __future__ import annotations

import gzip
import hashlib
import io
from pathlib import Path

import numpy as np
import pandas as pd

from emostream.core.spec import StreamSpec, markers_spec
from emostream.errors import RecordingError
from emostream.formats.base import RecordedStream, Recording

#: file stem -> (kind, channels, units, scale applied to the stored values)
SAMPLED: dict[str, tuple[str, tuple[str, ...], tuple[str, ...], float]] = {
    "BVP": ("PPG", ("BVP",), ("arbitrary",), 1.0),
    "EDA": ("EDA", ("EDA",), ("microsiemens",), 1.0),
    "TEMP": ("TEMP", ("TEMP",), ("celsius",), 1.0),
    "ACC": ("ACC", ("x", "y", "z"), ("g", "g", "g"), 1.0 / 64.0),
    "HR": ("HR", ("HR",), ("bpm",), 1.0),
}
REQUIRED = ("BVP", "EDA")


def _find(folder: Path, stem: str) -> Path | None:
    for name in (f"{stem}.csv", f"{stem}.csv.gz"):
        if (folder / name).is_file():
            return folder / name
    return None


def _tag_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name.startswith("tags") and ".csv" in p.name)


def _text(path: Path) -> str:
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        return raw.decode("utf-8-sig")
    except (OSError, EOFError, UnicodeDecodeError, gzip.BadGzipFile) as exc:
        raise RecordingError(f"cannot read E4 file: {exc}", file=path) from None


def _rows(path: Path, text: str, skip: int, n_cols: int) -> np.ndarray:
    if not text.strip().splitlines()[skip:]:
        return np.zeros((0, n_cols))
    try:
        frame = pd.read_csv(io.StringIO(text), header=None, skiprows=skip, dtype=float)
    except ValueError as exc:
        raise RecordingError(f"not an E4 CSV ({exc}); expected numbers", file=path) from None
    if frame.shape[1] != n_cols:
        raise RecordingError(
            f"expected {n_cols} column(s), found {frame.shape[1]}; is this an E4 export?",
            file=path,
        )
    return frame.to_numpy()


def _header(path: Path, text: str, n_cols: int) -> tuple[float, float]:
    lines = text.splitlines()
    try:
        t0 = [float(v) for v in lines[0].split(",")]
        rate = [float(v) for v in lines[1].split(",")]
    except (IndexError, ValueError):
        raise RecordingError(
            "first two rows must be the start time (unix s) and the sample rate (Hz)", file=path
        ) from None
    if len(t0) != n_cols or len(rate) != n_cols or rate[0] <= 0:
        raise RecordingError(
            f"header must give start time and a positive rate for {n_cols} column(s)", file=path
        )
    return t0[0], rate[0]


def detect(path: Path) -> bool:
    """An E4 export folder holds at least BVP.csv and EDA.csv (optionally gzipped)."""
    path = Path(path)
    return path.is_dir() and all(_find(path, stem) for stem in REQUIRED)


def read(path: Path) -> Recording:
    """Read an E4 export folder into a Recording on a clock starting at the session start."""
    folder = Path(path)
    if not folder.is_dir():
        raise RecordingError("an E4 export is a folder holding BVP.csv, EDA.csv, ...", file=folder)
    missing = [stem for stem in REQUIRED if _find(folder, stem) is None]
    if missing:
        raise RecordingError(
            f"not an E4 export folder: missing {', '.join(s + '.csv(.gz)' for s in missing)}",
            file=folder,
        )
    texts = {stem: (p, _text(p)) for stem in (*SAMPLED, "IBI") if (p := _find(folder, stem))}
    headers = {
        stem: _header(p, text, len(SAMPLED[stem][1]))
        for stem, (p, text) in texts.items()
        if stem in SAMPLED
    }
    t_ref = min(t0 for t0, _ in headers.values())
    session = hashlib.sha1(f"{t_ref:.3f}".encode()).hexdigest()[:10]
    streams: dict[str, RecordedStream] = {}
    for stem, (kind, channels, units, scale) in SAMPLED.items():
        if stem not in headers:
            continue
        p, text = texts[stem]
        t0, rate = headers[stem]
        data = _rows(p, text, 2, len(channels)) * scale
        ts = (t0 - t_ref) + np.arange(data.shape[0]) / rate
        spec = StreamSpec(kind, f"E4-{stem}", channels, units, rate, f"e4-{session}-{stem.lower()}")
        streams[kind.lower()] = RecordedStream(spec, ts, data)
    if "IBI" in texts:
        p, text = texts["IBI"]
        try:
            t0 = float(text.splitlines()[0].split(",")[0])
        except (IndexError, ValueError):
            raise RecordingError("first row must be 't0, IBI'", file=p) from None
        rows = _rows(p, text, 1, 2)
        spec = StreamSpec("RR", "E4-IBI", ("rri_ms",), ("ms",), 0.0, f"e4-{session}-ibi")
        streams["rr"] = RecordedStream(spec, (t0 - t_ref) + rows[:, 0], rows[:, 1:2] * 1000.0)
    tags = [t for p in _tag_files(folder) for t in _rows(p, _text(p), 0, 1)[:, 0]]
    if tags:
        ts = np.sort(np.asarray(tags)) - t_ref
        labels = np.empty((ts.size, 1), dtype=object)
        labels[:, 0] = "tag"
        streams["markers"] = RecordedStream(
            markers_spec("E4-tags", f"e4-{session}-tags"), ts, labels
        )
    meta = {
        "format": "e4",
        "folder": str(folder),
        "files": sorted(str(p) for p, _ in texts.values()),
    }
    return Recording(streams, unix_offset_s=t_ref, meta=meta)
