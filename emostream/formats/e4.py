"""Empatica E4 exports: BVP, EDA, TEMP, ACC, HR, IBI and tags CSVs, gzipped or plain, in a
folder or in a zip archive (read in place, as Empatica's download gives it).

Layout (Empatica's `info.txt`): in BVP/EDA/TEMP/ACC/HR.csv row 0 is the start time (unix s,
UTC) and row 1 the sample rate (Hz), per column; samples follow. IBI.csv starts with
`t0, IBI`, then (seconds since t0, interval in s) rows. tags*.csv holds button presses in unix
seconds. Timestamps are seconds since the earliest start time, which is `unix_offset_s`.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import zipfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from emostream.core.arrow import float_values
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
#: plausibility bounds of an export: unix start times up to the year 2286, rates, and how far
#: apart the files of one session may start
MAX_UNIX_S = 1e10
MAX_RATE_HZ = 1e5
MAX_START_SPREAD_S = 86400.0


class _Export:
    """The files of an export: a folder's entries or a zip archive's top-level members."""

    def __init__(self, path: Path):
        self.path = path
        self.archive: zipfile.ZipFile | None = None
        if path.is_dir():
            self.names = sorted(p.name for p in path.iterdir() if p.is_file())
        elif path.is_file() and zipfile.is_zipfile(path):
            try:
                self.archive = zipfile.ZipFile(path)
            except (OSError, zipfile.BadZipFile) as exc:
                raise RecordingError(f"cannot open zip archive: {exc}", file=path) from None
            self.names = sorted(n for n in self.archive.namelist() if "/" not in n)
        else:
            raise RecordingError(
                "an E4 export is a folder or a zip archive holding BVP.csv, EDA.csv, ...",
                file=path,
            )

    def __enter__(self) -> _Export:
        return self

    def __exit__(self, *_: object) -> None:
        if self.archive:
            self.archive.close()

    def find(self, stem: str) -> str | None:
        return next((n for n in (f"{stem}.csv", f"{stem}.csv.gz") if n in self.names), None)

    def tag_files(self) -> list[str]:
        return [n for n in self.names if n.startswith("tags") and ".csv" in n]

    def where(self, name: str) -> str:
        """A file's path for messages: `folder/EDA.csv` or `export.zip:EDA.csv`."""
        return f"{self.path}:{name}" if self.archive else str(self.path / name)

    def bytes(self, name: str) -> bytes:
        """A file's content, decompressed when gzipped, without a UTF-8 byte-order mark."""
        try:
            raw = self.archive.read(name) if self.archive else (self.path / name).read_bytes()
            if raw[:2] == b"\x1f\x8b":
                raw = gzip.decompress(raw)
        except (OSError, EOFError, zipfile.BadZipFile) as exc:
            raise RecordingError(f"cannot read E4 file: {exc}", file=self.where(name)) from None
        return raw.removeprefix(b"\xef\xbb\xbf")


def _rows(path: str, raw: bytes, skip: int, n_cols: int) -> np.ndarray:
    """The numbers after the first `skip` lines, as an (n, n_cols) float64 array (parsed by
    pyarrow's CSV reader, in C)."""
    lines = raw.split(b"\n", skip)
    if len(lines) <= skip or not lines[skip].strip():
        return np.zeros((0, n_cols))
    try:
        table = pacsv.read_csv(
            io.BytesIO(lines[skip]),
            read_options=pacsv.ReadOptions(autogenerate_column_names=True),
            convert_options=pacsv.ConvertOptions(
                column_types={f"f{i}": pa.float64() for i in range(n_cols)}
            ),
        )
    except pa.ArrowInvalid as exc:
        raise RecordingError(f"not an E4 CSV ({exc}); expected numbers", file=path) from None
    if table.num_columns != n_cols:
        raise RecordingError(
            f"expected {n_cols} column(s), found {table.num_columns}; is this an E4 export?",
            file=path,
        )
    return np.column_stack([float_values(column) for column in table.columns])


def _first_lines(raw: bytes, n: int) -> list[str]:
    return [line.decode("utf-8", "replace") for line in raw.split(b"\n", n)[:n]]


def _header(path: str, raw: bytes, n_cols: int) -> tuple[float, float]:
    lines = _first_lines(raw, 2)
    try:
        t0 = [float(v) for v in lines[0].split(",")]
        rate = [float(v) for v in lines[1].split(",")]
    except (IndexError, ValueError):
        raise RecordingError(
            "first two rows must be the start time (unix s) and the sample rate (Hz)", file=path
        ) from None
    if len(t0) != n_cols or len(rate) != n_cols or not 0 < rate[0] <= MAX_RATE_HZ:
        raise RecordingError(
            f"header must give start time and a rate in (0, {MAX_RATE_HZ:g}] Hz for {n_cols} "
            "column(s)",
            file=path,
        )
    return _start_time(path, t0[0]), rate[0]


def _start_time(path: str | Path, t0: float) -> float:
    if not 0 <= t0 <= MAX_UNIX_S:
        raise RecordingError(
            f"start time {t0!r} is not a unix time in seconds (0 to {MAX_UNIX_S:g})", file=path
        )
    return t0


def detect(path: Path) -> bool:
    """An E4 export (folder or zip) holds at least BVP.csv and EDA.csv (optionally gzipped)."""
    try:
        with _Export(Path(path)) as export:
            return all(export.find(stem) for stem in REQUIRED)
    except RecordingError:
        return False


def read(path: Path) -> Recording:
    """Read an E4 export (folder or zip) into a Recording on a clock starting at the session
    start."""
    with _Export(Path(path)) as export:
        return _read(export)


def _read(export: _Export) -> Recording:
    missing = [stem for stem in REQUIRED if export.find(stem) is None]
    if missing:
        raise RecordingError(
            f"not an E4 export: missing {', '.join(s + '.csv(.gz)' for s in missing)}",
            file=export.path,
        )
    texts = {
        stem: (export.where(name), export.bytes(name))
        for stem in (*SAMPLED, "IBI")
        if (name := export.find(stem))
    }
    headers = {
        stem: _header(p, text, len(SAMPLED[stem][1]))
        for stem, (p, text) in texts.items()
        if stem in SAMPLED
    }
    t_ref = min(t0 for t0, _ in headers.values())
    for stem, (t0, _) in headers.items():
        if t0 - t_ref > MAX_START_SPREAD_S:
            raise RecordingError(
                f"starts {t0 - t_ref:.0f} s after the earliest file of the export; the files "
                "of one E4 session start within a day of each other",
                file=texts[stem][0],
            )
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
            t0 = _start_time(p, float(_first_lines(text, 1)[0].split(",")[0]))
        except (IndexError, ValueError):
            raise RecordingError("first row must be 't0, IBI'", file=p) from None
        rows = _rows(p, text, 1, 2)
        spec = StreamSpec("RR", "E4-IBI", ("rri_ms",), ("ms",), 0.0, f"e4-{session}-ibi")
        streams["rr"] = RecordedStream(spec, (t0 - t_ref) + rows[:, 0], rows[:, 1:2] * 1000.0)
    tags = [
        t for n in export.tag_files() for t in _rows(export.where(n), export.bytes(n), 0, 1)[:, 0]
    ]
    if tags:
        ts = np.sort(np.asarray(tags)) - t_ref
        labels = np.empty((ts.size, 1), dtype=object)
        labels[:, 0] = "tag"
        streams["markers"] = RecordedStream(
            markers_spec("E4-tags", f"e4-{session}-tags"), ts, labels
        )
    meta = {
        "format": "e4",
        "folder": str(export.path),
        "files": sorted(p for p, _ in texts.values()),
    }
    return Recording(streams, unix_offset_s=t_ref, meta=meta)
