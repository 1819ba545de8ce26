"""`emostream process`: recorded input through a pipeline as fast as the CPU allows."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emostream.commands import arg_types
from emostream.commands.batch_args import (
    add_cache_args,
    add_cluster_args,
    cache_dir,
    cluster_options,
)
from emostream.commands.common import add_model_args
from emostream.errors import RecordingError, UsageError
from emostream.formats.registry import FORMATS

if TYPE_CHECKING:
    from emostream.cohort import SessionJob, SessionResult


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "process",
        help="run recordings through a pipeline as fast as possible",
        description=(
            "Run recorded input (emostream sessions, E4 export folders, XDF, EDF/BDF, "
            "NeuroKit-style CSV) through a pipeline without pacing. One INPUT: writes "
            "DIR/features.parquet, DIR/predictions.parquet (when the pipeline has a model) and "
            "DIR/session.json. Several (files, folders of recordings, or quoted glob patterns): "
            "the sessions run in parallel on Dask and each writes DIR/<session>/, with "
            "DIR/cohort.json listing them in input order; a session that fails is named and the "
            "others finish (exit status 1). Results are cached per session and reused when the "
            "input, pipeline, model file and emostream are unchanged."
        ),
    )
    p.add_argument(
        "inputs",
        nargs="+",
        metavar="INPUT",
        help="recording files or folders, folders of recordings, or quoted glob patterns",
    )
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
    add_cluster_args(p, "sessions")
    add_cache_args(p, "each session's results")
    p.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from emostream.cohort import expand_inputs, session_names
    from emostream.pipeline.build import check_model_path
    from emostream.pipeline.process import check_output_folder

    if args.model is not None:
        check_model_path(args.model, read=True, write=False)
    if args.transcript_t0_s is not None and args.transcript is None:
        raise UsageError("--transcript-t0-s needs --transcript FILE")
    paths, skipped = expand_inputs(args.inputs)
    for path in skipped:
        print(f"note: {path}: not a recording, skipped", file=sys.stderr)
    if args.transcript is not None and (len(args.inputs) > 1 or len(paths) > 1):
        raise UsageError("--transcript goes with one INPUT; process the sessions one by one")
    if len(paths) == 1:
        check_output_folder(args.out, overwrite=args.overwrite)
        return _run_one(args, paths[0])
    names = session_names(paths)
    check_output_folder(args.out, overwrite=args.overwrite, files=(COHORT_JSON,))
    for name in names:
        check_output_folder(args.out / name, overwrite=args.overwrite)
    return _run_cohort(args, paths, names)


#: the cohort's index in the output folder: every session in input order, and its outcome
COHORT_JSON = "cohort.json"


def _job(args: argparse.Namespace, path: Path, label: str, *, cohort: bool) -> SessionJob:
    from emostream.cohort import SessionJob

    read_options: dict[str, Any] = {}
    if args.fs_hz is not None:
        read_options["fs_hz"] = args.fs_hz
    if args.partial:
        read_options["partial"] = True
    return SessionJob(
        path,
        label,
        fmt=args.format,
        read_options=read_options,
        pipeline=args.pipeline,
        model=args.model,
        trust_model_file=args.trust_model_file,
        recording_column=cohort,
        transcript=args.transcript,
        transcript_t0_s=args.transcript_t0_s,
        progress=not (cohort or args.quiet),
        cache_dir=cache_dir(args),
    )


def _write(out: Path, done: SessionResult, path: Path) -> dict[str, Any]:
    """The session's output files; returns its summary."""
    from emostream.pipeline.process import write_outputs

    if done.warning:
        print(f"warning: {path}: {done.warning}", file=sys.stderr)
    result = done.result
    summary = result.summary | {"input": str(path), "format": done.fmt}
    predictions = [result.predictions] if result.predictions is not None else []
    write_outputs(out, done.config, [result.features], predictions, [summary])
    return summary | {"cached": done.cached}


def _run_one(args: argparse.Namespace, path: Path) -> int:
    from emostream.cohort import process_session

    if args.scheduler is not None:
        print(f"{path.name}: one session, processed in this process (--scheduler not used)",
              file=sys.stderr)  # fmt: skip
    summary = _write(args.out, process_session(_job(args, path, path.name, cohort=False)), path)
    if args.json:
        print(json.dumps({"out": str(args.out), "inputs": [summary]}, default=str))
    else:
        print(
            f"wrote {summary['n_windows']} windows to {args.out}/features.parquet", file=sys.stderr
        )
    return 0


def input_bytes(path: Path) -> int:
    """Bytes on disk of an input file, or of the files in an input folder (a session's size,
    to start the largest first)."""
    if path.is_dir():
        return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    return path.stat().st_size


def _run_cohort(args: argparse.Namespace, paths: list[Path], names: list[str]) -> int:
    from emostream.cluster import map_named
    from emostream.cohort import process_session
    from emostream.pipeline.process import OUTPUT_FILES

    jobs = [
        (name, _job(args, path, name, cohort=True)) for name, path in zip(names, paths, strict=True)
    ]
    outcomes = map_named(
        process_session,
        jobs,
        cluster_options(args),
        what="sessions",
        progress=not args.quiet,
        sizes=[input_bytes(path) for path in paths],
    )
    sessions: list[dict[str, Any]] = []
    for outcome, path in zip(outcomes, paths, strict=True):
        entry = {"name": outcome.name, "input": str(path)}
        out = args.out / outcome.name
        if outcome.value is None:
            print(f"emostream process: error: {outcome.name}: {outcome.error}", file=sys.stderr)
            sessions.append(entry | {"error": outcome.error})
            for name in OUTPUT_FILES:  # an earlier run's results (--overwrite) never outlive it
                (out / name).unlink(missing_ok=True)
            continue
        summary = _write(out, outcome.value, path)  # in full in out/session.json
        brief = {k: summary[k] for k in ("format", "n_windows", "duration_s", "cached")}
        sessions.append(entry | {"out": str(out)} | brief)
    index = {"out": str(args.out), "inputs": sessions}
    try:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / COHORT_JSON).write_text(json.dumps(index, indent=2, default=str))
    except OSError as exc:
        raise RecordingError(f"cannot write outputs: {exc.strerror}", file=args.out) from None
    failed = [s["name"] for s in sessions if "error" in s]
    if args.json:
        print(json.dumps(index, default=str))
    n_windows = sum(s.get("n_windows", 0) for s in sessions)
    print(
        f"wrote {n_windows} windows of {len(sessions) - len(failed)} sessions to "
        f"{args.out}/<session>/features.parquet"
        + (f"; {len(failed)} failed: {', '.join(failed)}" if failed else ""),
        file=sys.stderr,
    )
    return 1 if failed else 0
