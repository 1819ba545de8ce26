"""The sessions of a cohort: naming the inputs, processing one session, and the result cache.

`process_session` is what one worker does for one input: read it, choose its pipeline, and
run it through the pipeline, or take the result from the cache when the same input (path,
size, modification time of each file), pipeline config, model file, options and emostream
code produced it before. Cache entries live under `<cache dir>/process/` (default
`$XDG_CACHE_HOME/emostream/features/process`); deleting that folder clears them.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emostream.datasets import cache
from emostream.errors import RecordingError, UsageError
from emostream.formats.registry import DEFAULT_PIPELINES, detect_format, read_recording
from emostream.pipeline.config import load_pipeline, parse_pipeline

if TYPE_CHECKING:
    from emostream.formats.base import Recording
    from emostream.pipeline.config import PipelineConfig
    from emostream.pipeline.process import ProcessResult

#: parts of the package that take no part in a session's features and predictions
NOT_PROCESS_CODE = frozenset(
    {"evaluation", "commands", "cli.py", "datasets", "cluster.py", "cohort.py"}
)
TRANSCRIPT_FORMATS = ("webvtt", "srt", "transcript-csv")


def expand_inputs(arguments: list[str]) -> tuple[list[Path], list[Path]]:
    """(sessions, skipped): each argument is a recording, a folder of recordings (its entries
    that are recordings, in name order; the other entries are skipped) or a glob pattern (its
    matches in name order)."""
    sessions: list[Path] = []
    skipped: list[Path] = []
    for argument in arguments:
        path = Path(argument)
        if not path.exists() and glob.has_magic(argument):
            matches = sorted(glob.glob(argument))
            if not matches:
                raise UsageError(f"{argument}: no file or folder matches this pattern")
            sessions += map(Path, matches)
        elif path.is_dir() and not _is_recording(path):
            entries = sorted(path.iterdir())
            found = [p for p in entries if _is_recording(p)]
            if not found:
                detect_format(path)  # raises, naming the folder and the formats
            sessions += found
            skipped += [p for p in entries if p not in found]
        else:
            sessions.append(path)
    return sessions, skipped


def _is_recording(path: Path) -> bool:
    try:
        detect_format(path)
    except UsageError:
        return False
    return True


def session_names(paths: list[Path]) -> list[str]:
    """A folder name for each input, from its own name (without the file's extensions);
    inputs of the same name are told apart by as many parent folders as needed."""

    def name(path: Path, depth: int) -> str:
        resolved = path.resolve()
        base = (resolved.name.split(".")[0] if resolved.is_file() else "") or resolved.name
        parents = [p.name for p in resolved.parents[: depth - 1]][::-1]
        return "-".join([*parents, base])

    depths = [1] * len(paths)
    for _ in range(max((len(p.resolve().parts) for p in paths), default=1)):
        names = [name(p, d) for p, d in zip(paths, depths, strict=True)]
        clashes = {n for n in names if names.count(n) > 1}
        if not clashes:
            return names
        depths = [d + 1 if n in clashes else d for n, d in zip(names, depths, strict=True)]
    twice = sorted({str(p) for p in paths if [q.resolve() for q in paths].count(p.resolve()) > 1})
    raise UsageError(
        f"{', '.join(twice) or 'the inputs'}: given more than once; give each session once"
    )


@dataclass(frozen=True, slots=True)
class SessionJob:
    """Everything one worker needs to process one input (picklable)."""

    path: Path
    label: str
    fmt: str | None = None
    read_options: dict[str, Any] = field(default_factory=dict)
    pipeline: str | None = None
    model: Path | None = None
    trust_model_file: bool = False
    recording_column: bool = False
    #: a progress bar over the session's minutes
    progress: bool = False
    transcript: Path | None = None
    transcript_t0_s: float | None = None
    #: the cache folder (None: no cache)
    cache_dir: Path | None = None


@dataclass(slots=True)
class SessionResult:
    fmt: str
    config: PipelineConfig
    result: ProcessResult
    #: taken from the cache rather than computed
    cached: bool
    #: a problem worth telling the user that did not stop the session
    warning: str | None = None


def pipeline_for(pipeline: str | None, fmt: str, meta: dict[str, Any]) -> PipelineConfig:
    """The `--pipeline` given, the session's own config, or the format's bundled pipeline."""
    if pipeline:
        return load_pipeline(pipeline)
    if fmt == "session" and isinstance(meta.get("pipeline_config"), dict):
        return parse_pipeline(meta["pipeline_config"], Path(meta.get("path", "session.json")))
    if fmt in DEFAULT_PIPELINES:
        return load_pipeline(DEFAULT_PIPELINES[fmt])
    raise UsageError(f"no bundled pipeline for format '{fmt}'; pass --pipeline")


def check_inputs(config: PipelineConfig, recording: Recording, path: str) -> None:
    """Refuse a recording that none of the pipeline's extractors can read."""
    from emostream.features.registry import extractors_without_input

    kinds = {s.spec.kind for s in recording.streams.values()}
    missing = extractors_without_input(config.features, kinds)
    if config.features and len(missing) == len(config.features):
        raise UsageError(
            f"{path}: pipeline '{config.meta.name}' reads {', '.join(sorted(set(missing.values())))} "
            f"streams, but this input holds {', '.join(sorted(kinds)) or 'no streams'}; "
            "choose a pipeline for this input with --pipeline"
        )


def join_transcript(recording: Recording, path: Path, t0_s: float | None) -> None:
    """Add the transcript at `path` to `recording` as its `text` stream, its 0:00 at `t0_s`
    on the recording's clock (default: the recording's first sample)."""
    fmt = detect_format(path)
    if fmt not in TRANSCRIPT_FORMATS:
        raise UsageError(
            f"--transcript {path}: a {fmt} input, not a transcript "
            f"({', '.join(TRANSCRIPT_FORMATS)})"
        )
    if "text" in recording.streams:
        raise UsageError(f"--transcript {path}: the input already holds a Text stream")
    start_s = recording.t_start_s if t0_s is None else t0_s
    _, transcript = read_recording(path, fmt, t0_s=start_s)
    recording.streams["text"] = transcript.streams["text"]
    recording.meta["transcript"] = transcript.meta


def process_session(job: SessionJob) -> SessionResult:
    """Read, choose the pipeline, and process one input (or take its cached result)."""
    from emostream.pipeline.build import build_model
    from emostream.pipeline.process import process_recording

    fmt, recording = read_recording(job.path, job.fmt, **job.read_options)
    config = pipeline_for(job.pipeline, fmt, recording.meta)
    if job.transcript is not None:
        if "text" not in config.features:
            raise UsageError(
                f"--transcript: pipeline '{config.meta.name}' has no [features.text]; "
                "choose one that has with --pipeline"
            )
        join_transcript(recording, job.transcript, job.transcript_t0_s)
    check_inputs(config, recording, str(job.path))
    entry = _entry(job, config) if job.cache_dir is not None else None
    if entry is not None:
        try:
            return SessionResult(fmt, config, load_result(*entry), cached=True)
        except cache.CacheMiss:
            pass
    model = build_model(config, job.model, trust_model_file=job.trust_model_file)
    result = process_recording(
        config,
        recording,
        model=model,
        label=job.label,
        progress=job.progress,
        recording_column=job.recording_column,
    )
    if not result.summary["n_windows"]:
        raise RecordingError(
            f"no windows: holds less than one {config.window.length_s:g} s window of data",
            file=job.path,
        )
    warning = None
    if entry is not None:
        try:
            save_result(*entry, result)
        except OSError as exc:  # costs the next run time, never a result
            warning = f"cannot write the result cache {entry[0]}: {exc.strerror or exc}"
    return SessionResult(fmt, config, result, cached=False, warning=warning)


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file())
    return [path]


def _entry(job: SessionJob, config: PipelineConfig) -> tuple[Path, dict[str, Any]]:
    """Where the job's result is cached, and the key it must have been computed for."""
    assert job.cache_dir is not None
    inputs = _files(job.path) + ([job.transcript] if job.transcript else [])
    key = cache.cache_key(config.config_hash, cache.fingerprint(inputs), NOT_PROCESS_CODE)
    key["model"] = cache.fingerprint([job.model]) if job.model and job.model.exists() else None
    key["options"] = {
        "fmt": job.fmt,
        "read": job.read_options,
        "label": job.label,
        "recording_column": job.recording_column,
        "transcript_t0_s": job.transcript_t0_s,
        "trust_model_file": job.trust_model_file,
    }
    digest = hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()
    return job.cache_dir / "process" / f"{job.path.resolve().name}-{digest[:16]}", key


def save_result(folder: Path, key: dict[str, Any], result: ProcessResult) -> None:
    """Write an entry: the tables, then `entry.json` (key and summary) last, into a fresh
    folder renamed into place, so that a reader never sees half an entry."""
    import pyarrow.parquet as pq

    partial = folder.with_name(f"{folder.name}.{os.getpid()}.part")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    pq.write_table(result.features, partial / "features.parquet")
    if result.predictions is not None:
        pq.write_table(result.predictions, partial / "predictions.parquet")
    entry = {"key": key, "summary": result.summary}
    (partial / "entry.json").write_text(json.dumps(entry, default=str))
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(partial, folder)


def load_result(folder: Path, key: dict[str, Any]) -> ProcessResult:
    """The result an entry holds for `key`; CacheMiss when absent, stale or unreadable."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from emostream.pipeline.process import ProcessResult

    if not (folder / "entry.json").is_file():
        raise cache.CacheMiss("not cached")
    try:
        entry = json.loads((folder / "entry.json").read_text())
        if entry["key"] != json.loads(json.dumps(key, default=str)):
            raise cache.CacheMiss("stale")
        predictions = folder / "predictions.parquet"
        return ProcessResult(  # ParquetFile, unlike read_table, does not import pandas
            pq.ParquetFile(folder / "features.parquet").read(),
            pq.ParquetFile(predictions).read() if predictions.exists() else None,
            entry["summary"],
        )
    except (OSError, ValueError, KeyError, TypeError, pa.ArrowException):
        raise cache.CacheMiss("unreadable") from None
