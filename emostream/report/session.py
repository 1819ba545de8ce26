"""A session loaded into the tidy form a report draws: raw streams, windows, predictions,
markers and metadata, from a recorded session folder or an `emostream process` output folder."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from emostream.errors import EmostreamError, RecordingError, UsageError
from emostream.formats.base import RecordedStream
from emostream.formats.session.layout import FORMAT_NAME, SESSION_JSON

Marker = tuple[float, str]


@dataclass(slots=True)
class ReportData:
    """Everything one report shows. Times are on the session's own clock, in seconds."""

    name: str
    #: label -> value, shown in the metadata section (pseudonymous subject id only)
    meta: dict[str, str]
    #: raw streams as recorded (regular and marker streams)
    streams: dict[str, RecordedStream] = field(default_factory=dict)
    #: one row per window: t_start, t_end, features, quality_*, coverage_*, staleness_*_s
    features: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: one row per prediction: t_end, state, p_<class>…, confidence, label; None: no model
    predictions: pd.DataFrame | None = None
    classes: tuple[str, ...] = ()
    markers: list[Marker] = field(default_factory=list)
    #: per source id, the bad timestamps its source found and what was done with them
    timestamp_repairs: dict[str, dict[str, int]] = field(default_factory=dict)
    #: section id -> why that section has nothing to show
    absent: dict[str, str] = field(default_factory=dict)

    @property
    def t0_s(self) -> float:
        """Start of the session: its first sample or window."""
        starts = [float(s.timestamps[0]) for s in self.streams.values() if len(s.timestamps)]
        if len(self.features):
            starts.append(float(self.features["t_start"].min()))
        if self.predictions is not None and len(self.predictions):
            starts.append(float(self.predictions["t_end"].min()))
        return min(starts, default=0.0)

    @property
    def t_end_s(self) -> float:
        ends = [float(s.timestamps[-1]) for s in self.streams.values() if len(s.timestamps)]
        if len(self.features):
            ends.append(float(self.features["t_end"].max()))
        return max(ends, default=self.t0_s)


def session_folders(path: Path) -> list[Path]:
    """`path` itself when it holds a session.json, else its sub-folders that do."""
    if not path.exists():
        raise UsageError(f"{path}: no such file or folder")
    if not path.is_dir():
        raise UsageError(
            f"{path}: not a folder; give a session folder (with session.json) or a folder of them"
        )
    if (path / SESSION_JSON).is_file():
        return [path]
    found = sorted(p.parent for p in path.glob(f"*/{SESSION_JSON}") if p.is_file())
    if not found:
        raise UsageError(
            f"{path}: no session.json here or in its sub-folders; give a session folder "
            "recorded by emostream (recordings/sub-…) or an `emostream process` output folder"
        )
    return found


def load(folder: Path) -> ReportData:
    """A recorded session or a `process` output folder (told apart by their session.json)."""
    file = folder / SESSION_JSON
    try:
        meta = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RecordingError(f"cannot read: {exc}", file=file) from None
    if not isinstance(meta, dict):
        raise RecordingError("not a JSON object", file=file)
    if meta.get("format") == FORMAT_NAME:
        return _recorded(folder)
    if meta.get("mode") == "process":
        return _processed(folder, meta)
    raise RecordingError(
        "neither a recorded session (format 'emostream-session') nor `emostream process` "
        "output (mode 'process')",
        file=file,
    )


def _frame(table: pa.Table | None) -> pd.DataFrame:
    return table.to_pandas() if table is not None else pd.DataFrame()


def _classes(predictions: pd.DataFrame | None) -> tuple[str, ...]:
    if predictions is None:
        return ()
    return tuple(c.removeprefix("p_") for c in predictions.columns if c.startswith("p_"))


def _stream_markers(streams: dict[str, RecordedStream]) -> list[Marker]:
    return [marker for s in streams.values() if s.spec.is_markers for marker in s.markers()]


def _recorded(folder: Path) -> ReportData:
    from emostream.formats.session import read

    recording = read(folder)
    session = recording.meta["session"]
    features = _frame(recording.meta["features"])
    predictions = recording.meta["predictions"]
    predictions = _frame(predictions) if predictions is not None else None
    events = _frame(recording.meta["events"])
    markers = _stream_markers(recording.streams)
    if len(events) and {"kind", "t_s", "text"} <= set(events.columns):
        emitted = events[events["kind"] == "marker"]
        markers += list(zip(emitted["t_s"].astype(float), emitted["text"].astype(str), strict=True))
    run = _table_of(session, "run")
    data = ReportData(
        name=folder.name,
        meta=_recorded_meta(session, run, predictions, recording.meta.get("recovery", [])),
        streams=recording.streams,
        features=features,
        predictions=predictions,
        classes=_classes(predictions),
        markers=sorted(markers),
        timestamp_repairs=session.get("timestamps") or {},
    )
    if predictions is None:
        data.absent["states"] = "the session ran without a model: no predictions were recorded"
    return data


def _processed(folder: Path, meta: dict[str, Any]) -> ReportData:
    from emostream.formats.registry import read_recording
    from emostream.formats.session.files import read_parquet

    tables: dict[str, pa.Table | None] = {}
    for name in ("features", "predictions"):
        file = folder / f"{name}.parquet"
        if not file.exists():
            tables[name] = None
            continue
        table, problem = read_parquet(file)
        if problem:
            raise RecordingError(problem, file=file)
        tables[name] = table
    if tables["features"] is None:
        raise RecordingError("file is missing", file=folder / "features.parquet")
    predictions = _frame(tables["predictions"]) if tables["predictions"] is not None else None
    inputs: list[Any] = meta["inputs"] if isinstance(meta.get("inputs"), list) else []
    data = ReportData(
        name=folder.name,
        meta={
            "kind": "output of `emostream process`",
            "inputs": ", ".join(str(i.get("input", "?")) for i in inputs) or "unknown",
            "pipeline": str(meta.get("pipeline", "unknown")),
            "config hash": str(meta.get("config_hash", "unknown")),
            "software": f"emostream {meta.get('software_version', 'unknown')}",
            **_model_versions(predictions),
        },
        features=_frame(tables["features"]),
        predictions=predictions,
        classes=_classes(predictions),
    )
    if predictions is None:
        data.absent["states"] = "the pipeline has no model: no predictions were written"
    if len(inputs) != 1:
        data.absent["signals"] = f"{len(inputs)} inputs were processed together; report each alone"
        return data
    source = inputs[0]
    try:
        _, recording = read_recording(source.get("input", ""), source.get("format"))
    except EmostreamError as exc:
        data.absent["signals"] = f"the input {source.get('input')} is not readable here ({exc})"
        return data
    data.streams = recording.streams
    data.markers = sorted(_stream_markers(recording.streams))
    return data


def _model_versions(predictions: pd.DataFrame | None) -> dict[str, str]:
    if predictions is None or "model_version" not in predictions or not len(predictions):
        return {}
    versions = predictions["model_version"].dropna().astype(str)
    return {"model": f"{versions.iloc[0]} → {versions.iloc[-1]} ({versions.nunique()} versions)"}


def _table_of(obj: dict[str, Any], key: str) -> dict[str, Any]:
    """`obj[key]` when it is a JSON object, else empty (a hand-edited or older session.json)."""
    value = obj.get(key)
    return value if isinstance(value, dict) else {}


def _consent(consent: Any, live: bool) -> str:
    if not isinstance(consent, dict):
        return "not needed (no live person recorded)" if not live else "none recorded"
    scope = ", ".join(consent.get("scope", [])) or "none"
    return f"{scope} (stated via {consent.get('stated_via', 'unknown')})"


def _recorded_meta(
    session: dict[str, Any],
    run: dict[str, Any],
    predictions: pd.DataFrame | None,
    recovery: list[str],
) -> dict[str, str]:
    started: dict[str, Any] = _table_of(session, "started")
    ended: dict[str, Any] = _table_of(session, "ended")
    duration = ""
    if "unix_s" in started and "unix_s" in ended:
        duration = f" ({float(ended['unix_s']) - float(started['unix_s']):.0f} s wall time)"
    software = _table_of(session, "software")
    out = {
        "subject (pseudonym)": str(session.get("subject", "unknown")),
        "session": str(session.get("session", "?")),
        "status": str(session.get("status", "unknown")),
        "mode": str(run.get("mode", "unknown")) + (" (live person)" if session.get("live") else ""),
        "consent": _consent(session.get("consent"), bool(session.get("live"))),
        "recorded": f"{started.get('utc', '?')} to {ended.get('utc', '?')}{duration}",
        "pipeline": str(run.get("pipeline_name", "unknown")),
        "config hash": str(run.get("config_hash", "unknown")),
        **_model_versions(predictions),
        "software": ", ".join(f"{k} {v}" for k, v in software.items()) or "unknown",
    }
    if recovery:
        out["recovery"] = "; ".join(recovery)
    return out
