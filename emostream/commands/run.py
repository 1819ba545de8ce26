"""`emostream run`: a live session from the pipeline's sources."""

from __future__ import annotations

import argparse

from emostream.commands import arg_types
from emostream.commands.common import add_model_args, add_output_args
from emostream.commands.dashboard_options import add_dashboard_args
from emostream.commands.record_options import add_record_args


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "run",
        help="run a pipeline live from its sources",
        description=(
            "Run a pipeline live: devices or LSL streams in, features and states out. The "
            "session is recorded under recordings/ unless --no-record."
        ),
    )
    p.add_argument("pipeline", metavar="PIPELINE.toml", help="pipeline file or bundled name")
    p.add_argument(
        "--subject",
        default="anon",
        metavar="ID",
        help="pseudonymous subject id (letters and digits; never a name)",
    )
    add_model_args(p, "model to start from (if it exists) and to save to at the end")
    p.add_argument(
        "--duration",
        type=arg_types.seconds,
        default=None,
        metavar="S",
        help="stop after S seconds (default: run until Ctrl-C)",
    )
    add_output_args(p)
    add_record_args(p)
    add_dashboard_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from emostream.commands.common import run_pipeline
    from emostream.commands.record_options import recorder_from_args
    from emostream.consent import check_pseudonym
    from emostream.pipeline.build import build_live_sources, check_model_path
    from emostream.pipeline.config import load_pipeline

    subject = check_pseudonym(args.subject)
    config = load_pipeline(args.pipeline)
    if args.model is not None:  # before the session, so the learned model cannot be lost
        check_model_path(args.model, read=args.model.exists(), write=True, config=config)
    console = Console()
    console.print(f"emostream run: pipeline [bold]{config.meta.name}[/]; Ctrl-C stops")

    def say(text: str) -> None:
        console.print(text, soft_wrap=True)

    # consent is checked before any device is touched
    recorder = recorder_from_args(args, config, subject=subject, say=say)
    sources = build_live_sources(config)
    run_pipeline(
        args, config, sources, console, mode="live", subject=subject, recorder=recorder,
        model_path=args.model, trust_model_file=args.trust_model_file,
        duration_s=args.duration,
    )  # fmt: skip
    return 0
