"""`emostream demo`: the main job with no hardware."""

from __future__ import annotations

import argparse

from emostream.commands import arg_types
from emostream.commands.common import add_output_args
from emostream.commands.dashboard_options import add_dashboard_args
from emostream.commands.record_options import add_record_args


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo",
        help="run the full pipeline on a synthetic wearer (no hardware)",
        description=(
            "Run a synthetic wearer through the full pipeline (windows, features, online model, "
            "LSL outlets, recording), with a live view and a summary at the end."
        ),
    )
    p.add_argument("--pipeline", default="demo", help="pipeline name or file (default: demo)")
    p.add_argument(
        "--speed",
        type=arg_types.speed_or_zero,
        default=None,
        metavar="X",
        help="multiple of real time (default: the pipeline's, 0 = as fast as possible)",
    )
    p.add_argument(
        "--duration",
        type=arg_types.seconds,
        default=None,
        metavar="S",
        help="seconds of data (default: the pipeline's)",
    )
    p.add_argument("--seed", type=arg_types.seed, default=None, help="synthetic wearer seed")
    add_output_args(p)
    add_record_args(p)
    add_dashboard_args(p, default_on=True)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from rich.console import Console

    from emostream.commands.common import run_pipeline
    from emostream.commands.record_options import recorder_from_args
    from emostream.errors import UsageError
    from emostream.pipeline.build import build_live_sources
    from emostream.pipeline.config import load_pipeline

    config = load_pipeline(args.pipeline)
    if any(transport != "synthetic" for transport in config.transports):
        raise UsageError(
            f"{config.path}: the demo needs synthetic sources only; use `emostream run`"
        )
    overrides = {}
    if args.duration is not None:
        overrides["duration_s"] = args.duration
    if args.seed is not None:
        overrides["seed"] = args.seed
    if overrides:
        config = replace(config, sources=tuple(replace(s, **overrides) for s in config.sources))
    console = Console()
    console.print(f"emostream demo: pipeline [bold]{config.meta.name}[/] ({config.path})")

    def say(text: str) -> None:
        console.print(text, soft_wrap=True)

    # consent is checked before any device is touched
    recorder = recorder_from_args(args, config, subject="synthetic", say=say)
    sources = build_live_sources(config, speed=args.speed)
    run_pipeline(
        args, config, sources, console, mode="demo", subject="synthetic", recorder=recorder
    )
    return 0
