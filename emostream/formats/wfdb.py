"""PhysioNet WFDB records (format 16, one .dat file, optional samples-per-frame), e.g. drivedb.

The header (`<record>.hea`) gives the frame rate and, per signal, `file fmt[xSPF] gain
[(baseline)][/units] adcres adczero initval checksum blocksize description`. Physical value =
(digital - baseline) / gain; a signal with SPF samples per frame runs at SPF x the frame rate.
Signals map to stream kinds by a word of their description (ECG, GSR/EDA, RESP, HR); others
(EMG, drivedb's analog "marker") are listed in `meta["skipped_signals"]`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from emostream.core.spec import StreamSpec
from emostream.errors import RecordingError
from emostream.formats.base import RecordedStream, Recording

_GAIN_RE = re.compile(r"^(?P<gain>[-+0-9.eE]+)(\((?P<baseline>-?\d+)\))?(/(?P<units>\S+))?$")
#: description keyword -> stream kind (first match wins)
KINDS = (("ecg", "ECG"), ("gsr", "EDA"), ("eda", "EDA"), ("resp", "RSP"), ("hr", "HR"))
UNITS = {"ECG": "millivolts", "EDA": "adu", "RSP": "adu", "HR": "bpm"}


@dataclass(frozen=True)
class SignalHeader:
    file: str
    samples_per_frame: int
    gain: float
    baseline: int
    units: str
    description: str


def parse_header(path: Path) -> tuple[str, float, int, list[SignalHeader]]:
    """(record name, frame rate Hz, frames, signals) of a WFDB header file."""
    try:
        lines = [
            ln.strip()
            for ln in path.read_text().splitlines()
            if ln.strip() and not ln.startswith("#")
        ]
        record, n_signals, fs_hz, *rest = lines[0].split()
        signals: list[SignalHeader] = []
        for line in lines[1 : 1 + int(n_signals)]:
            fields = line.split()
            fmt = fields[1].split("x")
            if fmt[0].split(":")[0] != "16":
                raise RecordingError(
                    f"signal format {fmt[0]} is not supported (only 16)", file=path
                )
            m = _GAIN_RE.match(fields[2])
            if m is None:
                raise ValueError(fields[2])
            gain = float(m["gain"]) or 200.0  # WFDB: gain 0 means the default, 200
            adc_zero = int(fields[4]) if len(fields) > 4 else 0
            baseline = int(m["baseline"]) if m["baseline"] is not None else adc_zero
            description = " ".join(fields[8:]) if len(fields) > 8 else f"signal{len(signals)}"
            signals.append(
                SignalHeader(
                    fields[0],
                    int(fmt[1]) if len(fmt) > 1 else 1,
                    gain,
                    baseline,
                    m["units"] or "",
                    description,
                )
            )
        return record, float(fs_hz.split("/")[0]), int(rest[0]) if rest else -1, signals
    except RecordingError:
        raise
    except (OSError, IndexError, ValueError) as exc:
        raise RecordingError(f"not a WFDB header ({exc})", file=path) from None


def _header_path(path: Path) -> Path:
    return path if path.suffix == ".hea" else path.with_suffix(".hea")


def detect(path: Path) -> bool:
    """A .hea file, or a .dat file with its .hea beside it."""
    path = Path(path)
    return path.is_file() and path.suffix in (".hea", ".dat") and _header_path(path).is_file()


def read(path: Path) -> Recording:
    """Read all signals of a single-file format-16 record; t = 0 at the first frame."""
    header = _header_path(Path(path))
    if not header.is_file():
        raise RecordingError("WFDB record needs its .hea header next to it", file=header)
    record, frame_hz, _, signals = parse_header(header)
    files = {s.file for s in signals}
    if len(files) != 1:
        raise RecordingError("records split over several .dat files are not supported", file=header)
    dat = header.parent / files.pop()
    width = sum(s.samples_per_frame for s in signals)
    try:
        raw = np.fromfile(dat, dtype="<i2")
    except OSError as exc:
        raise RecordingError(f"cannot read: {exc.strerror}", file=dat) from None
    if dat.stat().st_size % (2 * width):
        raise RecordingError(f"size is not a whole number of {width}-sample frames", file=dat)
    frames = raw.reshape(-1, width)
    streams: dict[str, RecordedStream] = {}
    skipped: list[str] = []
    col = 0
    for s in signals:
        digital = frames[:, col : col + s.samples_per_frame].reshape(-1)
        col += s.samples_per_frame
        fs_hz = frame_hz * s.samples_per_frame
        ts = np.arange(digital.size) / fs_hz
        source_id = (
            f"wfdb-{record}-{re.sub(r'[^A-Za-z0-9]+', '-', s.description).strip('-').lower()}"
        )
        words = s.description.lower().split()
        kind = next((k for word, k in KINDS if word in words), None)
        if kind is None:
            skipped.append(s.description)
            continue
        key = kind.lower()
        while key in streams:  # e.g. foot and hand GSR: eda, eda_2
            key = f"{kind.lower()}_{sum(k.startswith(kind.lower()) for k in streams) + 1}"
        physical = ((digital.astype(np.float64) - s.baseline) / s.gain)[:, None]
        spec = StreamSpec(
            kind,
            f"{record}-{s.description}",
            (s.description,),
            (s.units or UNITS[kind],),
            fs_hz,
            source_id,
        )
        streams[key] = RecordedStream(spec, ts, physical)
    return Recording(
        streams,
        unix_offset_s=None,
        meta={
            "format": "wfdb",
            "record": record,
            "header": str(header),
            "skipped_signals": skipped,
        },
    )
