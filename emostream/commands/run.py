"""`emostream run`: a live session from the pipeline's sources."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from rich.console import Console

from emostream.commands.common import add_output_args, make_output_sinks, print_summary
from emostream.errors import UsageError
from emostream.pipeline.build import build_live_source, build_model
from emostream.pipeline.config import load_pipeline
from emostream.pipeline.launch import run_session
from emostream.sinks.console import ConsoleView

PSEUDONYM_RE = re.compile(r"^[A-Za-z0-9]{1,32}$")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "run",
        help="run a pipeline live from its sources",
        description="Run a pipeline live: devices or LSL streams in, features and states out.",
    )
    p.add_argument("pipeline", metavar="PIPELINE.toml", help="pipeline file or bundled name")
    p.add_argument(
        "--subject",
        default="anon",
        metavar="ID",
        help="pseudonymous subject id (letters and digits; never a name)",
    )
    p.add_argument(
        "--model",
        type=Path,
        default=None,
        metavar="FILE",
        help="model to start from (if it exists) and to save to at the end",
    )
    p.add_argument(
        "--duration",
        type=float,
        default=None,
        metavar="S",
        help="stop after S seconds (default: run until Ctrl-C)",
    )
    add_output_args(p)
    p.set_defaults(func=run)


def check_pseudonym(subject: str) -> str:
    if not PSEUDONYM_RE.match(subject):
        raise UsageError(
            f"--subject {subject!r}: use a pseudonym of 1-32 letters and digits (e.g. S07), never a name"
        )
    return subject


def run(args: argparse.Namespace) -> int:
    subject = check_pseudonym(args.subject)
    if args.duration is not None and args.duration <= 0:
        raise UsageError("--duration must be > 0 seconds")
    config = load_pipeline(args.pipeline)
    sources = [build_live_source(config, i) for i in range(len(config.sources))]
    model = build_model(config, args.model)
    console = Console()
    names = [profile.name for profile in config.profiles]
    view = ConsoleView(console, devices=list(zip(names, sources, strict=True)))
    console.print(f"emostream run: pipeline [bold]{config.meta.name}[/]; Ctrl-C stops")
    result = run_session(
        config,
        sources,
        mode="live",
        model=model,
        sinks=[view],
        make_sinks=lambda pipeline, info: make_output_sinks(args, config, pipeline, info, console),
        subject=subject,
        handle_signals=True,
        duration_s=args.duration,
    )
    print_summary(console, view, result)
    if model is not None and args.model is not None:
        model.save(args.model)
        console.print(f"model saved to {args.model} ({model.model_version})")
    return 0
