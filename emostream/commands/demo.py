"""`emostream demo`: the main job with no hardware."""

from __future__ import annotations

import argparse

from rich.console import Console

from emostream.commands.common import add_output_args, make_output_sinks, print_summary
from emostream.errors import UsageError
from emostream.pipeline.build import build_live_source, build_model
from emostream.pipeline.config import load_pipeline
from emostream.pipeline.launch import run_session
from emostream.sinks.console import ConsoleView


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo",
        help="run the full pipeline on a synthetic wearer (no hardware)",
        description=(
            "Run a synthetic wearer through the full pipeline (windows, features, online model, "
            "LSL outlets), with a live view and a summary at the end."
        ),
    )
    p.add_argument("--pipeline", default="demo", help="pipeline name or file (default: demo)")
    p.add_argument(
        "--speed",
        type=float,
        default=None,
        metavar="X",
        help="multiple of real time (default: the pipeline's, 0 = as fast as possible)",
    )
    p.add_argument(
        "--duration",
        type=float,
        default=None,
        metavar="S",
        help="seconds of data (default: one pass of the protocol)",
    )
    p.add_argument("--seed", type=int, default=None, help="synthetic wearer seed")
    add_output_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = load_pipeline(args.pipeline)
    if any(p.device.transport != "synthetic" for p in config.profiles):
        raise UsageError(
            f"{config.path}: the demo needs synthetic sources only; use `emostream run`"
        )
    if args.speed is not None and args.speed < 0:
        raise UsageError("--speed must be >= 0")
    overrides = {}
    if args.duration is not None:
        overrides["duration_s"] = args.duration
    if args.seed is not None:
        overrides["seed"] = args.seed
    if overrides:
        from dataclasses import replace

        config = replace(config, sources=tuple(replace(s, **overrides) for s in config.sources))
    sources = [build_live_source(config, i, speed=args.speed) for i in range(len(config.sources))]
    model = build_model(config, None)
    console = Console()
    names = [profile.name for profile in config.profiles]
    view = ConsoleView(console, devices=list(zip(names, sources, strict=True)))
    console.print(f"emostream demo: pipeline [bold]{config.meta.name}[/] ({config.path})")
    result = run_session(
        config,
        sources,
        mode="demo",
        model=model,
        sinks=[view],
        make_sinks=lambda pipeline, info: make_output_sinks(args, config, pipeline, info, console),
        subject="synthetic",
    )
    print_summary(console, view, result)
    return 0
