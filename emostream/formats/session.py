"""emostream session folders: crash-safe while recording, columnar and memory-mapped when read.

Layout of `sub-<pseudonym>_ses-<n>_<YYYYMMDD>/`:

- `session.json`: provenance (see docs/recording.md); `status` is `recording` until a clean
  close sets `complete` (or a reader's recovery sets `recovered`).
- `streams/<key>.arrow` while recording, `streams/<key>.parquet` once finalised: columns
  `timestamp`, `arrival_s`, then one column per channel; the StreamSpec is in the schema
  metadata, so every file describes itself.
- `arrivals.arrow|parquet`: one row per source event in arrival order: a chunk (`stream` =
  index into `session.json` `streams`, `n_samples`, `arrival_s`) or a gap (`stream` = -1 and
  the gap's fields). Replays use it to deliver chunks exactly as they arrived live.
- `features.*`, `predictions.*`, `events.*` (JSON lines while recording, Parquet once
  finalised): one row per window, per prediction, and per emitted marker / label request /
  clock offset / recorder error.

Arrow IPC stream files and JSON lines are append-only, so a killed recorder leaves files whose
every complete batch or line is readable; `finalise()` turns them into Parquet.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from emostream.core.events import Gap
from emostream.core.spec import StreamSpec
from emostream.errors import RecordingError
from emostream.formats.base import RecordedStream, Recording

FORMAT_NAME = "emostream-session"
FORMAT_VERSION = 1
SESSION_JSON = "session.json"
STREAMS_DIR = "streams"
ARRIVALS = "arrivals"
TABLES = ("features", "predictions", "events")
#: Recording.meta key holding the `ArrivalLog` of a session
ARRIVAL_LOG_KEY = "arrival_log"
SPEC_META_KEY = b"emostream.spec"
#: Parquet row groups are this many rows, so damage inside a file loses at most one group
ROW_GROUP_ROWS = 1 << 16

_ARROW_TYPES = {
    "float32": pa.float32(),
    "double64": pa.float64(),
    "int32": pa.int32(),
    "int16": pa.int16(),
    "string": pa.string(),
}
ARRIVAL_SCHEMA = pa.schema(
    [
        ("stream", pa.int32()),
        ("n_samples", pa.int64()),
        ("arrival_s", pa.float64()),
        ("gap_source_id", pa.string()),
        ("gap_from_s", pa.float64()),
        ("gap_to_s", pa.float64()),
        ("gap_reason", pa.string()),
    ]
)


@dataclass(frozen=True, slots=True)
class ArrivalLog:
    """The order in which a live session's chunks and gaps arrived.

    Row i: `stream[i]` indexes `keys` (a chunk of `n_samples[i]` samples that arrived at
    `arrival_s[i]` on the LSL clock), or is -1 for the next gap of `gaps`.
    """

    keys: tuple[str, ...]
    stream: np.ndarray
    n_samples: np.ndarray
    arrival_s: np.ndarray
    gaps: tuple[Gap, ...] = ()


class DamagedRecordingError(RecordingError):
    """A recorded file is damaged. `partial` holds everything that was readable before it."""

    def __init__(self, message: str, *, file: str | Path, partial: Recording):
        super().__init__(message, file=file)
        self.partial = partial


# -- names and schemas -----------------------------------------------------------------------
def session_dir_name(subject: str, session_n: int, date_yyyymmdd: str) -> str:
    return f"sub-{subject}_ses-{session_n}_{date_yyyymmdd}"


def unique_key(base: str, taken: set[str] | dict[str, Any]) -> str:
    """File- and column-friendly key for a stream (`ecg`, `ecg-2`, ...), not in `taken`."""
    stem = re.sub(r"[^a-z0-9_]+", "_", base.lower()).strip("_") or "stream"
    key, n = stem, 1
    while key in taken:
        n += 1
        key = f"{stem}-{n}"
    return key


def spec_to_json(spec: StreamSpec) -> dict[str, Any]:
    return dataclasses.asdict(spec)


def spec_from_json(obj: dict[str, Any]) -> StreamSpec:
    fields = {f.name for f in dataclasses.fields(StreamSpec)}
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in obj.items() if k in fields}
    return StreamSpec(**kwargs)


def stream_schema(spec: StreamSpec, dtype: np.dtype | None = None) -> pa.Schema:
    """timestamp, arrival_s, then one column per channel; the spec rides in the metadata.

    Channel columns have `dtype` (the dtype the data arrived in, so a replay hands back the
    very values the live run saw), else the spec's channel format.
    """
    if spec.is_markers or dtype is None:
        value_type = _ARROW_TYPES[spec.channel_format]
    else:
        value_type = pa.from_numpy_dtype(dtype)
    fields = [pa.field("timestamp", pa.float64()), pa.field("arrival_s", pa.float64())]
    fields += [pa.field(label, value_type) for label in spec.channels]
    return pa.schema(fields, metadata={SPEC_META_KEY: json.dumps(spec_to_json(spec))})


def write_json_atomic(path: Path, obj: dict[str, Any]) -> None:
    """Write JSON to a temporary file, fsync it, then rename over `path`."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        json.dump(obj, fh, indent=2, allow_nan=True)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def read_session_json(folder: Path) -> dict[str, Any]:
    path = folder / SESSION_JSON
    if not path.is_file():
        raise RecordingError(
            "no session.json: not an emostream session folder (expected session.json and "
            f"{STREAMS_DIR}/)",
            file=path,
        )
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RecordingError(
            f"not valid JSON ({exc}); the session's provenance is lost", file=path
        ) from None
    if not isinstance(obj, dict) or obj.get("format") != FORMAT_NAME:
        raise RecordingError(f"not an emostream session (format != {FORMAT_NAME!r})", file=path)
    if not isinstance(obj.get("streams"), dict):
        raise RecordingError("has no 'streams' table", file=path)
    return obj


# -- salvaging readers -------------------------------------------------------------------------
def read_ipc(path: Path) -> tuple[pa.Table | None, str | None]:
    """All complete record batches of an Arrow IPC stream file, and what stopped the read."""
    try:
        with pa.OSFile(str(path), "rb") as src:
            try:
                reader = pa.ipc.open_stream(src)
            except (pa.ArrowInvalid, OSError) as exc:
                return None, f"no readable schema ({exc})"
            batches: list[pa.RecordBatch] = []
            damage = None
            while True:
                try:
                    batches.append(reader.read_next_batch())
                except StopIteration:
                    break
                except (pa.ArrowInvalid, OSError) as exc:
                    damage = f"damaged after {sum(len(b) for b in batches)} rows ({exc})"
                    break
            return pa.Table.from_batches(batches, schema=reader.schema), damage
    except OSError as exc:
        return None, f"cannot read ({exc.strerror or exc})"


def read_jsonl(path: Path) -> tuple[pa.Table | None, str | None]:
    """Rows of a JSON-lines file; a torn or corrupt line ends the read (earlier rows are kept)."""
    rows: list[dict[str, Any]] = []
    damage = None
    try:
        with path.open("rb") as fh:
            for lineno, line in enumerate(fh, start=1):
                try:
                    rows.append(json.loads(line))
                except (json.JSONDecodeError, UnicodeDecodeError):
                    damage = f"line {lineno} is incomplete or corrupt; {len(rows)} rows kept"
                    break
    except OSError as exc:
        return None, f"cannot read ({exc.strerror or exc})"
    return (pa.Table.from_pylist(rows) if rows else None), damage


def read_parquet(path: Path) -> tuple[pa.Table | None, str | None]:
    """A Parquet file, memory-mapped; if a row group is damaged, the groups before it."""
    try:
        pf = pq.ParquetFile(str(path), memory_map=True, page_checksum_verification=True)
    except (pa.ArrowInvalid, OSError) as exc:
        return None, f"unreadable Parquet ({exc})"
    try:
        return pf.read(), None
    except (pa.ArrowInvalid, OSError, ValueError):
        pass
    groups: list[pa.Table] = []
    for i in range(pf.num_row_groups):
        try:
            groups.append(pf.read_row_group(i))
        except (pa.ArrowInvalid, OSError, ValueError) as exc:
            rows = sum(len(g) for g in groups)
            damage = f"row group {i} is damaged ({exc}); the first {rows} rows are kept"
            return (pa.concat_tables(groups) if groups else None), damage
    return pa.concat_tables(groups) if groups else pf.schema_arrow.empty_table(), None


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


# -- finalising --------------------------------------------------------------------------------
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


# -- reading -----------------------------------------------------------------------------------
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
    run = meta.get("run") if isinstance(meta.get("run"), dict) else {}
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
