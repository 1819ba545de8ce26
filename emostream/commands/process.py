"""`emostream process`: recorded input through a pipeline as fast as the CPU allows."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emostream.commands import arg_types
from emostream.commands.common import add_model_args
from emostream.errors import RecordingError, UsageError
from emostream.formats.registry import (
    DEFAULT_PIPELINES,
    FORMATS,
    detect_format,
    read_recording,
)
from emostream.pipeline.config import load_pipeline, parse_pipeline

if TYPE_CHECKING:
    from emostream.formats.base import Recording
    from emostream.pipeline.config import PipelineConfig


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "process",
        help="run recordings through a pipeline as fast as possible",
        description=(
            "Run recorded input (emostream sessions, E4 export folders, XDF, EDF/BDF, "
            "NeuroKit-style CSV) through a pipeline without pacing. Writes DIR/features.parquet, "
            "DIR/predictions.parquet (when the pipeline has a model) and DIR/session.json."
        ),
    )
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="recording files or folders")
    p.add_argument(
        "--pipeline",
        default=None,
        help="pipeline name or file (default: the session's own, or the bundled one "
        "that fits the input format)",
    )
    p.add_argument("--out", required=True, type=Path, metavar="DIR", help="output folder")
    p.add_argument(
        "--format", choices=sorted(FORMATS), default=None, help="input format (default: detect)"
    )
    p.add_argument(
        "--fs-hz",
        type=arg_types.rate_hz,
        default=None,
        help="sampling rate of a NeuroKit-style CSV",
    )
    add_model_args(p, "initial model state (the model is not saved back)")
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the results an earlier run left in the output folder",
    )
    p.add_argument(
        "--partial",
        action="store_true",
        help="from a damaged file, process what was readable before the damage",
    )
    p.add_argument(
        "--transcript",
        type=Path,
        default=None,
        metavar="FILE",
        help="a timed transcript (WebVTT, SRT or start,end,text CSV) of the input's session, "
        "joined as its Text stream (one INPUT only; the pipeline needs [features.text])",
    )
    p.add_argument(
        "--transcript-t0-s",
        type=float,
        default=None,
        metavar="S",
        help="time on the input's clock at which the transcript's 0:00 lies "
        "(default: the input's first sample)",
    )
    p.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def _pipeline_for(args: argparse.Namespace, fmt: str, meta: dict[str, Any]) -> PipelineConfig:
    if args.pipeline:
        return load_pipeline(args.pipeline)
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


TRANSCRIPT_FORMATS = ("webvtt", "srt", "transcript-csv")


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


def run(args: argparse.Namespace) -> int:
    from emostream.pipeline.build import build_model, check_model_path
    from emostream.pipeline.process import check_output_folder, process_recording, write_outputs

    check_output_folder(args.out, overwrite=args.overwrite)
    if args.model is not None:
        check_model_path(args.model, read=True, write=False)
    options: dict[str, Any] = {}
    if args.fs_hz is not None:
        options["fs_hz"] = args.fs_hz
    if args.partial:
        options["partial"] = True
    if args.transcript is not None and len(args.inputs) > 1:
        raise UsageError("--transcript goes with one INPUT; process the sessions one by one")
    if args.transcript_t0_s is not None and args.transcript is None:
        raise UsageError("--transcript-t0-s needs --transcript FILE")
    summaries = []
    feature_tables = []
    prediction_tables = []
    config: PipelineConfig | None = None
    for path in args.inputs:
        fmt, recording = read_recording(path, args.format, **options)
        this_config = _pipeline_for(args, fmt, recording.meta)
        if args.transcript is not None:
            if "text" not in this_config.features:
                raise UsageError(
                    f"--transcript: pipeline '{this_config.meta.name}' has no [features.text]; "
                    "choose one that has with --pipeline"
                )
            join_transcript(recording, args.transcript, args.transcript_t0_s)
        if config is not None and this_config.config_hash != config.config_hash:
            raise UsageError(f"{path}: inputs need the same pipeline; process them separately")
        config = this_config
        check_inputs(config, recording, path)
        model = build_model(config, args.model, trust_model_file=args.trust_model_file)
        result = process_recording(
            config,
            recording,
            model=model,
            label=Path(path).name,
            progress=not args.quiet,
            recording_column=len(args.inputs) > 1,
        )
        feature_tables.append(result.features)
        if result.predictions is not None:
            prediction_tables.append(result.predictions)
        summaries.append(result.summary | {"input": str(path), "format": fmt})
    assert config is not None
    if not sum(s["n_windows"] for s in summaries):
        raise RecordingError(
            f"no windows: {', '.join(args.inputs)} hold(s) less than one "
            f"{config.window.length_s:g} s window of data",
            file=None,
        )
    for s in summaries:
        if not s["n_windows"]:
            print(f"warning: {s['input']}: no windows (shorter than one window)", file=sys.stderr)
    write_outputs(args.out, config, feature_tables, prediction_tables, summaries)
    if args.json:
        print(json.dumps({"out": str(args.out), "inputs": summaries}, default=str))
    else:
        n = sum(s["n_windows"] for s in summaries)
        print(f"wrote {n} windows to {args.out}/features.parquet", file=sys.stderr)
    return 0
