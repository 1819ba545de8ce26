"""Reading a session folder: streams as numpy arrays (memory-mapped Parquet), recovering a
session that a crash left unfinished."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from emostream.core.events import Gap
from emostream.core.spec import StreamSpec
from emostream.errors import RecordingError
from emostream.formats.base import RecordedStream, Recording
from emostream.formats.session.files import (
    read_ipc,
    read_jsonl,
    read_parquet,
    read_session_json,
)
from emostream.formats.session.layout import (
    ARRIVAL_LOG_KEY,
    ARRIVALS,
    FORMAT_NAME,
    SESSION_JSON,
    STREAMS_DIR,
    TABLES,
    ArrivalLog,
    spec_from_json,
)
from emostream.formats.session.writer import finalise, has_leftovers


class DamagedRecordingError(RecordingError):
    """A recorded file is damaged. `partial` holds everything that was readable before it."""

    def __init__(self, message: str, *, file: str | Path, partial: Recording):
        super().__init__(message, file=file)
        self.partial = partial


def detect(path: str | Path) -> bool:
    """True for a folder holding an emostream session.json."""
    path = Path(path)
    if not (path / SESSION_JSON).is_file():
        return False
    try:
        return (
            json.loads((path / SESSION_JSON).read_text(encoding="utf-8")).get("format")
            == FORMAT_NAME
        )
    except (json.JSONDecodeError, UnicodeDecodeError, OSError, AttributeError):
        return True  # ours by name; read() reports the damage


def read(path: str | Path, *, recover: bool = True, partial: bool = False) -> Recording:
    """Open a session folder: streams as numpy arrays (memory-mapped Parquet, no per-sample loop).

    A session left unfinished by a crash is finalised first when `recover` and the folder is
    writable (otherwise, or when finalising fails, e.g. on a full disk, its leftovers are read
    in memory). A damaged file raises `DamagedRecordingError` naming it, with everything
    readable in `.partial`; pass `partial=True` to get that Recording directly (the damage is
    listed in meta["damage"]).
    """
    folder = Path(path)
    if not folder.is_dir():
        raise RecordingError(
            "not a folder; an emostream session is a folder with session.json", file=folder
        )
    meta = read_session_json(folder)
    notes: list[str] = []
    if has_leftovers(folder):
        notes = ["session was not finalised; read its leftover files in memory"]
        if recover and os.access(folder, os.W_OK):
            try:
                notes = finalise(folder, status="recovered")
            except OSError as exc:  # e.g. the disk is still full: read what is there instead
                notes = [f"cannot finalise the session ({exc.strerror or exc}); {notes[0]}"]
            meta = read_session_json(folder)
    damage: list[tuple[Path, str]] = []
    streams: dict[str, RecordedStream] = {}
    for key, spec_obj in meta["streams"].items():
        spec = spec_from_json(spec_obj)
        table, file, problem = _load_table(folder / STREAMS_DIR / key)
        if problem:
            damage.append((file, problem))
        streams[key] = _to_stream(spec, table)
    log_table, file, problem = _load_table(folder / ARRIVALS, required=False)
    if problem:
        damage.append((file, problem))
    tables: dict[str, pa.Table | None] = {}
    for name in TABLES:
        tables[name], file, problem = _load_table(folder / name, jsonl=True, required=False)
        if problem:
            damage.append((file, problem))
    started = meta.get("started", {})
    unix_offset = None
    if isinstance(started, dict) and "unix_s" in started and "lsl_s" in started:
        unix_offset = float(started["unix_s"]) - float(started["lsl_s"])
    run = meta["run"] if isinstance(meta.get("run"), dict) else {}
    rec_meta: dict[str, Any] = {
        "format": FORMAT_NAME,
        "path": str(folder),
        "session": meta,
        "pipeline_config": run.get("config"),
        ARRIVAL_LOG_KEY: _arrival_log(tuple(streams), log_table, streams),
        "recovery": notes,
        "damage": [f"{f}: {p}" for f, p in damage],
        **tables,
    }
    recording = Recording(streams, unix_offset, rec_meta)
    if damage and not partial:
        file, problem = damage[0]
        more = f" (and {len(damage) - 1} more damaged file(s))" if len(damage) > 1 else ""
        raise DamagedRecordingError(
            f"{problem}{more}; everything before the damage is kept: open it with partial=True "
            "or `--partial`",
            file=file,
            partial=recording,
        )
    return recording


def _load_table(
    stem: Path, jsonl: bool = False, required: bool = True
) -> tuple[pa.Table | None, Path, str | None]:
    """Parquet if finalised, else the leftover file; a missing table is None (and damage
    if `required`)."""
    parquet = stem.with_name(stem.name + ".parquet")
    if parquet.exists():
        table, problem = read_parquet(parquet)
        return table, parquet, problem
    leftover = stem.with_name(stem.name + (".jsonl" if jsonl else ".arrow"))
    if leftover.exists():
        table, _ = read_jsonl(leftover) if jsonl else read_ipc(leftover)
        return table, leftover, None  # a crashed recorder's torn tail is expected
    return None, parquet, "file is missing" if required else None


def _to_stream(spec: StreamSpec, table: pa.Table | None) -> RecordedStream:
    if table is None or table.num_rows == 0:
        dtype = object if spec.is_markers else np.float64
        return RecordedStream(spec, np.zeros(0), np.zeros((0, spec.n_channels), dtype=dtype))
    if table.num_columns != 2 + spec.n_channels:
        raise RecordingError(
            f"stream '{spec.name}' has {table.num_columns - 2} channel columns, "
            f"session.json declares {spec.n_channels}"
        )
    ts = table.column(0).to_numpy()
    cols = [table.column(i).to_numpy(zero_copy_only=False) for i in range(2, table.num_columns)]
    if spec.is_markers:
        data = np.empty((len(ts), spec.n_channels), dtype=object)
        for i, col in enumerate(cols):
            data[:, i] = col
    else:
        data = cols[0].reshape(-1, 1) if len(cols) == 1 else np.column_stack(cols)
    return RecordedStream(spec, ts, data)


def _arrival_log(
    keys: tuple[str, ...], table: pa.Table | None, streams: dict[str, RecordedStream]
) -> ArrivalLog | None:
    """The arrival log, reconciled with the stream files (a crash may leave them uneven)."""
    if table is None:
        return None
    stream = table.column("stream").to_numpy().astype(np.int32)
    n = table.column("n_samples").to_numpy().astype(np.int64)
    arrival = table.column("arrival_s").to_numpy(zero_copy_only=False).astype(np.float64)
    gap_rows = np.flatnonzero(stream < 0)
    gaps = tuple(
        Gap(
            str(table.column("gap_source_id")[i].as_py()),
            float(table.column("gap_from_s")[i].as_py()),
            float(table.column("gap_to_s")[i].as_py()),
            str(table.column("gap_reason")[i].as_py()),
        )
        for i in gap_rows
    )
    extra_stream, extra_n = [], []
    for idx, key in enumerate(keys):
        logged = int(n[stream == idx].sum())
        held = len(streams[key].timestamps)
        if held > logged:
            extra_stream.append(idx)
            extra_n.append(held - logged)
    if extra_stream:
        stream = np.concatenate((stream, np.asarray(extra_stream, np.int32)))
        n = np.concatenate((n, np.asarray(extra_n, np.int64)))
        arrival = np.concatenate((arrival, np.full(len(extra_n), np.nan)))
    return ArrivalLog(keys, stream, n, arrival, gaps)
