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
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from emostream.core.events import Gap
from emostream.core.spec import StreamSpec

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
    kwargs: dict[str, Any] = {
        k: tuple(v) if isinstance(v, list) else v for k, v in obj.items() if k in fields
    }
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
