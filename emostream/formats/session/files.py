"""Salvaging readers of a session's files: whatever is complete before any damage."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from emostream.errors import RecordingError
from emostream.formats.session.layout import FORMAT_NAME, SESSION_JSON, STREAMS_DIR


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
