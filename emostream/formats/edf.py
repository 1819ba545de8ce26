"""EDF/EDF+ and BDF/BDF+ files, read with MNE at each signal's own sampling rate.

MNE resamples every channel of a read to the highest rate, so signals are read in groups of
equal rate (the rates and physical units come from the file header, which MNE does not keep
for non-voltage units). Signals become streams by kind (ECG, EEG, EDA, ...), guessed from
their labels; annotations become a Markers stream. Values are in the file's physical units.
"""

from __future__ import annotations

import re
import warnings
from collections import defaultdict
from pathlib import Path

import numpy as np

from emostream.core.spec import StreamSpec, markers_spec
from emostream.errors import RecordingError
from emostream.formats.base import RecordedStream, Recording
from emostream.formats.session.layout import unique_key
from emostream.formats.session.reader import DamagedRecordingError

SUFFIXES = (".edf", ".bdf")
_ANNOTATIONS = ("EDF Annotations", "BDF Annotations")
#: MNE scales these physical units to volts; multiply back to the file's unit
_VOLT_SCALE = {"uv": 1e6, "µv": 1e6, "mv": 1e3, "nv": 1e9, "v": 1.0}
#: label pattern -> stream kind, first match wins
_KINDS = (
    (r"\b(ecg|ekg)", "ECG"),
    (r"\b(eda|gsr|scl|skin ?cond)", "EDA"),
    (r"\b(resp|rsp|breath)", "RSP"),
    (r"\b(temp)", "TEMP"),
    (r"\b(ppg|bvp|pleth)", "PPG"),
    (r"\b(acc)", "ACC"),
    (r"\b(emg)", "EMG"),
    (r"\b(eog)", "EOG"),
    (r"\b(eeg|fp\d|f\d|fz|c\d|cz|p\d|pz|o\d|t\d|tp\d|af\d)", "EEG"),
)


def detect(path: str | Path) -> bool:
    path = Path(path)
    return path.is_file() and path.suffix.lower() in SUFFIXES


def read_header(path: Path) -> list[tuple[str, str, float]]:
    """(label, physical unit, rate_hz) of every signal, from the fixed-width EDF/BDF header."""
    with path.open("rb") as fh:
        head = fh.read(256)
        if len(head) < 256:
            raise RecordingError("header is truncated (shorter than 256 bytes)", file=path)
        try:
            n_signals = int(head[252:256])
            record_s = float(head[244:252])
        except ValueError:
            raise RecordingError("not an EDF/BDF file (bad header fields)", file=path) from None
        raw = fh.read(256 * n_signals)
    if len(raw) < 256 * n_signals:
        raise RecordingError("signal header is truncated", file=path)

    def field(offset: int, width: int) -> list[str]:
        start = offset * n_signals
        return [
            raw[start + i * width : start + (i + 1) * width].decode("latin-1").strip()
            for i in range(n_signals)
        ]

    labels, units = field(0, 16), field(96, 8)
    n_samps = [int(v) for v in field(216, 8)]
    rates = [n / record_s if record_s > 0 else float(n) for n in n_samps]
    return list(zip(labels, units, rates, strict=True))


def _kind(label: str) -> str:
    low = label.lower()
    for pattern, kind in _KINDS:
        if re.search(pattern, low):
            return kind
    return "Misc"


def read(path: str | Path, *, partial: bool = False) -> Recording:
    """All signals of an EDF/BDF file as streams; a truncated file keeps its complete records."""
    import mne

    path = Path(path)
    if path.stat().st_size == 0:
        raise RecordingError("file is empty", file=path)
    header = [h for h in read_header(path) if h[0] not in _ANNOTATIONS]
    reader = mne.io.read_raw_bdf if path.suffix.lower() == ".bdf" else mne.io.read_raw_edf
    damage: list[str] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            probe = reader(path, preload=False, verbose="warning")
        damage += [str(w.message) for w in caught if "file size" in str(w.message)]
    except Exception as exc:  # MNE raises ValueError/RuntimeError/OSError on bad files
        raise RecordingError(f"cannot read EDF/BDF: {exc}", file=path) from None
    names = probe.ch_names
    if len(names) != len(header):
        raise RecordingError(
            f"header lists {len(header)} signals but MNE found {len(names)}", file=path
        )
    groups: dict[tuple[float, str], list[int]] = defaultdict(list)
    for i, (label, _, rate) in enumerate(header):
        groups[(rate, _kind(label))].append(i)
    streams: dict[str, RecordedStream] = {}
    for (rate, kind), idx in sorted(groups.items(), key=lambda g: g[1][0]):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            raw = reader(path, include=[names[i] for i in idx], preload=True, verbose="error")
        data = raw.get_data().T
        units = [header[i][1] for i in idx]
        scale = np.array([_VOLT_SCALE.get(u.lower(), 1.0) for u in units])
        key = unique_key(kind, streams)
        spec = StreamSpec(
            kind=kind,
            name=f"{path.stem}-{key}",
            channels=tuple(header[i][0] or names[i] for i in idx),
            units=tuple(units),
            rate_hz=rate,
            source_id=re.sub(r"[^A-Za-z0-9_.:\-]", "_", f"edf-{path.stem}-{key}"),
            channel_format="double64",
        )
        streams[key] = RecordedStream(spec, np.arange(len(data)) / rate, data * scale)
    ann = probe.annotations
    if len(ann):
        spec = markers_spec(
            f"{path.stem}-markers", f"edf-{re.sub(r'[^A-Za-z0-9_.:-]', '_', path.stem)}-markers"
        )
        labels = np.empty((len(ann), 1), dtype=object)
        labels[:, 0] = [str(d) for d in ann.description]
        onsets = np.asarray(ann.onset, dtype=np.float64) - probe.first_time
        streams[unique_key("markers", streams)] = RecordedStream(spec, onsets, labels)
    meas_date = probe.info.get("meas_date")
    unix_offset = meas_date.timestamp() if meas_date is not None else None
    meta = {"format": "edf", "path": str(path), "damage": [f"{path}: {d}" for d in damage]}
    recording = Recording(streams, unix_offset, meta)
    if damage and not partial:
        raise DamagedRecordingError(
            f"{damage[0]} (the complete data records are kept; open it with partial=True or "
            "`--partial`)",
            file=path,
            partial=recording,
        )
    return recording
