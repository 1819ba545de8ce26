"""Writing a session folder: append-only files while recording, Parquet once finalised.

Arrow IPC stream files and JSON lines are append-only, so a killed writer leaves files whose
every complete batch or line is readable; `finalise()` turns them into Parquet.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from emostream.core.chunk import Chunk
from emostream.core.events import Gap
from emostream.core.spec import StreamSpec
from emostream.formats.session.files import read_ipc, read_jsonl, read_session_json
from emostream.formats.session.layout import (
    ARRIVAL_SCHEMA,
    ARRIVALS,
    ROW_GROUP_ROWS,
    SESSION_JSON,
    SPEC_META_KEY,
    STREAMS_DIR,
    TABLES,
    spec_from_json,
    stream_schema,
)


def write_json_atomic(path: Path, obj: dict[str, Any]) -> None:
    """Write JSON to a temporary file, fsync it, then rename over `path`."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        json.dump(obj, fh, indent=2, allow_nan=True)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def write_parquet_atomic(table: pa.Table, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(
        table,
        str(tmp),
        row_group_size=ROW_GROUP_ROWS,
        compression="none",  # physiological floats barely compress; decoding would dominate
        use_dictionary=False,
        write_page_checksum=True,
    )
    with tmp.open("rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def finalise(folder: Path, status: str = "complete") -> list[str]:
    """Turn every leftover `.arrow`/`.jsonl` file into Parquet; returns what was damaged.

    Used by the recorder on a clean close and by `read()` to recover a crashed session. A file
    that cannot be parsed to the end keeps every complete batch or line before the damage.
    """
    meta = read_session_json(folder)
    notes: list[str] = []
    for src in sorted((folder / STREAMS_DIR).glob("*.arrow")):
        if src.stem not in meta["streams"]:  # killed between creating it and listing it
            table, _ = read_ipc(src)
            spec_json = (table.schema.metadata or {}).get(SPEC_META_KEY) if table else None
            if spec_json is not None:
                meta["streams"][src.stem] = json.loads(spec_json)
                notes.append(f"{src}: stream was not yet listed in {SESSION_JSON}; added")
    specs = {k: spec_from_json(v) for k, v in meta["streams"].items()}
    for key, spec in specs.items():
        src = folder / STREAMS_DIR / f"{key}.arrow"
        if src.exists():
            table, damage = read_ipc(src)
            if damage:
                notes.append(f"{src}: {damage}")
            _finalise_file(src, table if table is not None else stream_schema(spec).empty_table())
    src = folder / f"{ARRIVALS}.arrow"
    if src.exists():
        table, damage = read_ipc(src)
        if damage:
            notes.append(f"{src}: {damage}")
        _finalise_file(src, table if table is not None else ARRIVAL_SCHEMA.empty_table())
    for name in TABLES:
        src = folder / f"{name}.jsonl"
        if src.exists():
            table, damage = read_jsonl(src)
            if damage:
                notes.append(f"{src}: {damage}")
            _finalise_file(src, table)
    meta["status"] = status
    if notes:
        meta["recovery_notes"] = [*meta.get("recovery_notes", []), *notes]
    write_json_atomic(folder / SESSION_JSON, meta)
    return notes


def _finalise_file(src: Path, table: pa.Table | None) -> None:
    dst = src.with_suffix(".parquet")
    if table is not None and not dst.exists():
        write_parquet_atomic(table, dst)
    src.unlink()


def has_leftovers(folder: Path) -> bool:
    return (
        any(folder.glob("*.jsonl"))
        or any(folder.glob("*.arrow"))
        or any((folder / STREAMS_DIR).glob("*.arrow"))
    )


class SessionFiles:
    """The open files of a session, with rows buffered until the next flush (writer thread)."""

    def __init__(self, folder: Path, fsync: bool) -> None:
        self.folder = folder
        self.fsync = fsync
        self.current: Path | None = None
        self._streams: list[tuple[Path, pa.Schema, StreamSpec]] = []
        self._writers: dict[Path, tuple[pa.OSFile, pa.ipc.RecordBatchStreamWriter]] = {}
        self._pending: list[list[tuple[Chunk, float]]] = []
        self._arrivals: list[tuple[int, int, float, Gap | None]] = []
        self._rows: dict[str, list[str]] = {}

    def add_stream(self, key: str, spec: StreamSpec, dtype: np.dtype) -> None:
        path = self.folder / STREAMS_DIR / f"{key}.arrow"
        self._streams.append((path, stream_schema(spec, dtype), spec))
        self._pending.append([])
        self._open_ipc(path, self._streams[-1][1])

    def add_chunk(self, idx: int, chunk: Chunk, arrival_s: float) -> None:
        self._pending[idx].append((chunk, arrival_s))
        self._arrivals.append((idx, len(chunk), arrival_s, None))

    def add_gap(self, gap: Gap, arrival_s: float) -> None:
        self._arrivals.append((-1, 0, arrival_s, gap))

    def add_row(self, table: str, row: dict[str, Any]) -> None:
        self._rows.setdefault(table, []).append(json.dumps(row, allow_nan=True))

    def _open_ipc(self, path: Path, schema: pa.Schema) -> None:
        self.current = path
        sink = pa.OSFile(str(path), "wb")
        self._writers[path] = (sink, pa.ipc.new_stream(sink, schema))

    def flush(self) -> None:
        for (path, schema, spec), pending in zip(self._streams, self._pending, strict=True):
            if pending:
                self._write(path, _stream_batch(schema, spec, pending))
                pending.clear()
        if self._arrivals:
            path = self.folder / f"{ARRIVALS}.arrow"
            if path not in self._writers:
                self._open_ipc(path, ARRIVAL_SCHEMA)
            self._write(path, _arrival_batch(self._arrivals))
            self._arrivals.clear()
        for table, lines in self._rows.items():
            if lines:
                path = self.folder / f"{table}.jsonl"
                self.current = path
                with path.open("a", encoding="utf-8") as fh:
                    fh.write("\n".join(lines) + "\n")
                    fh.flush()
                    if self.fsync:
                        os.fsync(fh.fileno())
                lines.clear()

    def _write(self, path: Path, batch: pa.RecordBatch) -> None:
        self.current = path
        sink, writer = self._writers[path]
        writer.write_batch(batch)
        sink.flush()
        if self.fsync:
            os.fsync(sink.fileno())

    def close(self) -> None:
        for sink, writer in self._writers.values():
            try:
                writer.close()
                sink.close()
            except OSError:
                continue  # the damage was already reported; complete batches are on disk


def _stream_batch(
    schema: pa.Schema, spec: StreamSpec, pending: list[tuple[Chunk, float]]
) -> pa.RecordBatch:
    ts = np.concatenate([c.timestamps for c, _ in pending])
    arrival = np.concatenate(
        [c.arrival_s if c.arrival_s is not None else np.full(len(c), a) for c, a in pending]
    )
    data = np.concatenate([c.data for c, _ in pending])
    columns: list[pa.Array] = [pa.array(ts, pa.float64()), pa.array(arrival, pa.float64())]
    for i, fld in enumerate(schema):
        if i >= 2:
            col = data[:, i - 2]
            if spec.is_markers:
                columns.append(pa.array(col.tolist(), fld.type))
            else:
                columns.append(pa.array(col.astype(fld.type.to_pandas_dtype(), copy=False)))
    return pa.RecordBatch.from_arrays(columns, schema=schema)


def _arrival_batch(rows: list[tuple[int, int, float, Gap | None]]) -> pa.RecordBatch:
    gaps = [g for *_, g in rows]
    return pa.RecordBatch.from_arrays(
        [
            pa.array([r[0] for r in rows], pa.int32()),
            pa.array([r[1] for r in rows], pa.int64()),
            pa.array([r[2] for r in rows], pa.float64()),
            pa.array([g.source_id if g else None for g in gaps], pa.string()),
            pa.array([g.t_from_s if g else None for g in gaps], pa.float64()),
            pa.array([g.t_to_s if g else None for g in gaps], pa.float64()),
            pa.array([g.reason if g else None for g in gaps], pa.string()),
        ],
        schema=ARRIVAL_SCHEMA,
    )
