"""Process mode: a recording through the pipeline as fast as the CPU allows, into tables."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from emostream import __version__
from emostream.core.arrow import table_from_rows
from emostream.errors import RecordingError, UsageError
from emostream.formats.base import Recording
from emostream.pipeline.config import PipelineConfig
from emostream.pipeline.launch import run_session
from emostream.pipeline.wearer import WindowResult
from emostream.sources.recording import RecordingSource

if TYPE_CHECKING:
    from emostream.models.online import OnlineStateModel


@dataclass
class ProcessResult:
    features: pa.Table
    predictions: pa.Table | None
    summary: dict[str, Any]


def process_recording(
    config: PipelineConfig,
    recording: Recording,
    *,
    model: OnlineStateModel | None = None,
    label: str = "",
    progress: bool = True,
    recording_column: bool = False,
) -> ProcessResult:
    # one chunk per hop: windows close exactly as with any chunking, with far fewer events
    source = RecordingSource(recording, speed=None, chunk_s=config.window.hop_s)
    duration_s = max(recording.duration_s, 1e-9)
    t0 = recording.t_start_s
    bar = Progress(
        TextColumn(f"{label or 'processing'}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}% of {task.fields[minutes]:.0f} min"),
        TimeRemainingColumn(),
        transient=True,
        disable=not progress,
    )
    task = bar.add_task("process", total=duration_s, minutes=duration_s / 60)

    def advance(window: WindowResult) -> None:
        bar.update(task, completed=min(window.features.t_end - t0, duration_s))

    with bar:
        result = run_session(config, [source], mode="process", model=model, on_result=advance)
    feature_rows = result.feature_rows
    prediction_rows = result.prediction_rows
    if recording_column:
        for row in (*feature_rows, *prediction_rows):
            row["recording"] = label
    summary = {
        "n_windows": len(feature_rows),
        "duration_s": recording.duration_s,
        "unix_offset_s": recording.unix_offset_s,
        "model_version": model.model_version if model is not None else None,
        # bad timestamps found when the recording was read, and what was done about them
        "timestamps": source.recording.meta.get("timestamps", {}),
        "stream_stats": {
            k: dataclasses.asdict(v)
            for k, v in result.pipeline.windower.stats().items()  # type: ignore[union-attr]
        },
    }
    return ProcessResult(
        table_from_rows(feature_rows),
        table_from_rows(prediction_rows) if model is not None else None,
        summary,
    )


#: what `write_outputs` writes into the output folder
OUTPUT_FILES = ("features.parquet", "predictions.parquet", "session.json")


def check_output_folder(
    out_dir: Path, *, overwrite: bool, files: Sequence[str] = OUTPUT_FILES
) -> None:
    """Refuse (UsageError) an output folder holding an earlier run's results (`files`),
    unless `overwrite`, so that old predictions never sit beside new features."""
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"--out {out_dir}: is a file; give a folder")
    held = [name for name in files if (out_dir / name).exists()]
    if held and not overwrite:
        raise UsageError(
            f"--out {out_dir}: already holds results ({', '.join(held)}); pass --overwrite "
            "to replace them, or choose another folder"
        )


def write_outputs(
    out_dir: Path,
    config: PipelineConfig,
    features: Sequence[pa.Table],
    predictions: Sequence[pa.Table],
    summaries: list[dict[str, Any]],
) -> None:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for name in OUTPUT_FILES:  # an earlier run's files (--overwrite) never outlive it
            (out_dir / name).unlink(missing_ok=True)
        pq.write_table(
            pa.concat_tables(features, promote_options="default"), out_dir / "features.parquet"
        )
        if predictions:
            pq.write_table(
                pa.concat_tables(predictions, promote_options="default"),
                out_dir / "predictions.parquet",
            )
        session = {
            "pipeline": config.meta.name,
            "pipeline_config": config.raw,
            "config_hash": config.config_hash,
            "software_version": __version__,
            "mode": "process",
            "inputs": summaries,
        }
        (out_dir / "session.json").write_text(json.dumps(session, indent=2, default=str))
    except OSError as exc:
        raise RecordingError(f"cannot write outputs: {exc.strerror}", file=out_dir) from None
