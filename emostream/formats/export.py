"""Export a Recording as CSV (one file per stream and table), EDF+ (edfio) or XDF."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from emostream.errors import RecordingError, UsageError
from emostream.formats import xdf
from emostream.formats.base import RecordedStream, Recording

EXPORT_FORMATS = ("csv", "edf", "xdf")
_SESSION_TABLES = ("features", "predictions", "events")
#: data-record durations tried, so that every rate gives a whole number of samples per record
_RECORD_DURATIONS_S = (1.0, 2.0, 4.0, 5.0, 8.0, 10.0, 20.0, 25.0, 40.0, 50.0, 100.0)


def export(recording: Recording, out: Path, fmt: str) -> list[Path]:
    """Write `recording` in `fmt`; returns the files written and never overwrites a file."""
    if fmt not in EXPORT_FORMATS:
        raise UsageError(f"unknown export format '{fmt}' (known: {', '.join(EXPORT_FORMATS)})")
    try:
        if fmt == "csv":
            return export_csv(recording, out)
        if out.exists():
            raise UsageError(f"{out} exists; choose another --out or remove it")
        if fmt == "edf":
            return [export_edf(recording, out)]
        return [xdf.write(recording, out)]
    except OSError as exc:
        raise RecordingError(f"cannot write: {exc.strerror or exc}", file=out) from None


def export_csv(recording: Recording, out_dir: Path) -> list[Path]:
    """`<key>.csv` per stream (timestamp, channels), plus the session's tables if present."""
    if out_dir.exists() and any(out_dir.iterdir()):
        raise UsageError(f"{out_dir} is not empty; choose another --out")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for key, stream in recording.streams.items():
        path = out_dir / f"{key}.csv"
        pacsv.write_csv(stream_table(stream), path)
        written.append(path)
    for name in _SESSION_TABLES:
        table = recording.meta.get(name)
        if isinstance(table, pa.Table) and table.num_rows:
            path = out_dir / f"{name}.csv"
            pacsv.write_csv(table, path)
            written.append(path)
    return written


def stream_table(stream: RecordedStream) -> pa.Table:
    """One stream as a table: `timestamp`, then one column per channel."""
    columns = {"timestamp": pa.array(stream.timestamps)}
    for i, label in enumerate(stream.spec.channels):
        col = stream.data[:, i]
        name = label if label not in columns else f"{label}_{i}"
        columns[name] = pa.array(col.tolist() if stream.spec.is_markers else col)
    return pa.table(columns)


def export_edf(recording: Recording, path: Path) -> Path:
    """EDF+ with every regular numeric channel on its nominal-rate grid and markers as
    annotations. Irregular numeric streams (RR, HR) have no place in EDF and are left out.
    """
    from edfio import Edf, EdfAnnotation, EdfSignal

    regular = [
        s for s in recording.streams.values() if not s.spec.is_markers and s.spec.rate_hz > 0
    ]
    regular = [s for s in regular if len(s.timestamps) >= 2]
    if not regular:
        raise UsageError("no regularly sampled stream to put in EDF")
    t0 = min(float(s.timestamps[0]) for s in regular)
    span_s = max(float(s.timestamps[-1]) - t0 + 1.0 / s.spec.rate_hz for s in regular)
    record_s = _record_duration([s.spec.rate_hz for s in regular])
    n_records = max(1, int(np.floor(span_s / record_s + 1e-9)))
    signals = []
    for stream in regular:
        rate = stream.spec.rate_hz
        grid = t0 + np.arange(round(n_records * record_s * rate)) / rate
        for i, (label, unit) in enumerate(
            zip(stream.spec.channels, stream.spec.units, strict=True)
        ):
            values = np.asarray(stream.data[:, i], dtype=np.float64)
            ok = np.isfinite(values)
            if not ok.any():
                continue
            resampled = np.interp(grid, stream.timestamps[ok], values[ok])
            signals.append(
                EdfSignal(
                    resampled,
                    sampling_frequency=rate,
                    label=f"{stream.spec.kind} {label}"[:16],
                    physical_dimension=unit[:8],
                )
            )
    annotations = [
        EdfAnnotation(t - t0, None, text)
        for s in recording.streams.values()
        if s.spec.is_markers
        for t, text in s.markers()
        if t0 <= t < t0 + n_records * record_s
    ]
    edf = Edf(signals, annotations=annotations, data_record_duration=record_s)
    if recording.unix_offset_s is not None:
        start = dt.datetime.fromtimestamp(t0 + recording.unix_offset_s, tz=dt.UTC)
        edf.startdate = start.date()
        edf.starttime = start.time().replace(microsecond=0, tzinfo=None)
    edf.write(path)
    return path


def _record_duration(rates_hz: list[float]) -> float:
    for duration in _RECORD_DURATIONS_S:
        if all(abs(r * duration - round(r * duration)) < 1e-9 for r in rates_hz):
            return duration
    raise UsageError(
        f"sampling rates {sorted(set(rates_hz))} Hz give no whole number of samples per EDF "
        "data record; export to csv or xdf instead"
    )
