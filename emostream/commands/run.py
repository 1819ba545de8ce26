"""`emostream run`: a live session from the pipeline's sources."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from emostream.commands import arg_types
from emostream.commands.common import add_model_args, add_output_args
from emostream.commands.dashboard_options import add_dashboard_args
from emostream.commands.record_options import add_record_args
from emostream.commands.run_workers import WORKER_OPTION, parse_worker

if TYPE_CHECKING:
    from emostream.pipeline.config import PipelineConfig
    from emostream.pipeline.wearers import LiveWearer


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "run",
        help="run a pipeline live from its sources",
        description=(
            "Run a pipeline live: devices or LSL streams in, features and states out. The "
            "session is recorded under recordings/ unless --no-record."
        ),
    )
    p.add_argument(
        "pipeline",
        metavar="PIPELINE.toml",
        help="pipeline file or bundled name, or a cohort file (one run hosts every wearer it "
        "lists; see docs/cohort-live.md)",
    )
    p.add_argument(
        "--subject",
        default=None,
        metavar="ID",
        help="pseudonymous subject id (letters and digits; never a name; default anon); a "
        "pipeline or cohort file with [[wearers]] names each wearer's instead",
    )
    add_model_args(p, "model to start from (if it exists) and to save to at the end")
    p.add_argument(
        "--aligned-windows",
        action="store_true",
        help="with several wearers, end every wearer's windows at the same instants (default: "
        "spread over the hop, so that no wearer's state waits for the others' windows)",
    )
    p.add_argument(
        "--duration",
        type=arg_types.seconds,
        default=None,
        metavar="S",
        help="stop after S seconds (default: run until Ctrl-C)",
    )
    p.add_argument(
        "--workers",
        type=arg_types.wearers_or_auto,
        default=1,
        metavar="N|auto",
        help="host the wearers in N worker processes (every N-th wearer each), to use N cores; "
        "auto: one per core, at most one per wearer, and 1 with --dashboard; the live view is "
        "then line by line (default 1)",
    )
    p.add_argument(WORKER_OPTION, type=parse_worker, default=None, help=argparse.SUPPRESS)
    add_output_args(p)
    add_record_args(p)
    add_dashboard_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from emostream.commands.common import LiveSession, run_live
    from emostream.commands.record_options import recorder_from_args
    from emostream.commands.run_workers import end_with_parent, run_workers, worker_wearers
    from emostream.errors import DeviceError, StreamError
    from emostream.pipeline.build import build_live_sources, check_model_path

    config, wearers = run_wearers(args)
    many = len(wearers) > 1
    n_workers = worker_count(args, len(wearers))
    leading = n_workers > 1  # starts the workers, hosts none
    if args.worker_of is not None:
        end_with_parent()
        wearers = worker_wearers(wearers, *args.worker_of)
    for wearer in wearers:  # before the session, so the learned models cannot be lost
        if wearer.model_path is not None:
            check_model_path(
                wearer.model_path, read=wearer.model_path.exists(), write=True, config=config
            )
    console = Console()

    def say(text: str) -> None:
        console.print(text, soft_wrap=True)

    # consent is checked for every wearer before any device is touched
    recorders = [
        recorder_from_args(
            args, w.config, subject=w.subject, say=say, root=w.record_dir, consent=w.consent
        )
        for w in wearers
    ]
    if args.worker_of is not None:
        index, n_workers = args.worker_of
        say(f"worker {index + 1} of {n_workers}: {', '.join(w.slot for w in wearers)}")
    else:
        count = f", {len(wearers)} wearers" if many else ""
        workers = f" in {n_workers} workers" if leading else ""
        say(f"emostream run: pipeline [bold]{config.meta.name}[/]{count}{workers}; Ctrl-C stops")
    if leading:
        return run_workers(args.argv, n_workers)
    sessions = []
    for wearer, recorder in zip(wearers, recorders, strict=True):
        try:
            sources = build_live_sources(wearer.config)
        except (StreamError, DeviceError) as exc:
            if not many:
                raise
            say(f"[red]{wearer.slot}: not started[/] ({exc})")  # the others still run
            continue
        slot = wearer.slot if many else ""
        sessions.append(
            LiveSession(wearer.subject, wearer.config, sources, recorder, wearer.model_path, slot)
        )
    if not sessions:
        raise StreamError("no wearer's sources could be opened (see above)")
    run_live(
        args, sessions, console, mode="live", trust_model_file=args.trust_model_file,
        duration_s=args.duration,
    )  # fmt: skip
    return 0


def run_wearers(args: argparse.Namespace) -> tuple[PipelineConfig, tuple[LiveWearer, ...]]:
    """The pipeline and every wearer of the run (before any worker takes its share): the
    file's [[wearers]] with their window ends spread over the hop (unless
    --aligned-windows), or the one wearer of --subject and --model."""
    from emostream.errors import UsageError
    from emostream.pipeline.wearers import load_live, spread_window_ends

    config, wearers = load_live(args.pipeline)
    if not wearers:
        return config, (_solo(args, config),)
    if args.subject is not None or args.model is not None:
        raise UsageError(
            f"{args.pipeline} lists [[wearers]]: give each wearer's subject and model there, "
            "not with --subject or --model"
        )
    if len(wearers) > 1 and not args.aligned_windows:
        wearers = spread_window_ends(wearers)
    return config, wearers


def worker_count(args: argparse.Namespace, n_wearers: int) -> int:
    """The worker processes this command starts (1: it hosts the wearers itself). `--workers
    auto` is one per core, at most one per wearer, and 1 with --dashboard (one dashboard serves
    one process); a worker process hosts its share itself. More workers than wearers, or
    several with --dashboard, is a usage error."""
    from emostream.cluster import ClusterOptions
    from emostream.errors import UsageError

    dashboard = getattr(args, "dashboard", None)
    if args.worker_of is not None:
        return 1
    if args.workers == "auto":
        return 1 if dashboard else ClusterOptions().local_workers(n_wearers)
    if args.workers > n_wearers:
        raise UsageError(
            f"--workers {args.workers}: {args.pipeline} has {n_wearers} wearer(s); give at "
            "most one worker per wearer"
        )
    if args.workers > 1 and dashboard:
        raise UsageError("--dashboard serves one process's wearers: use --workers 1")
    return args.workers


def _solo(args: argparse.Namespace, config: PipelineConfig) -> LiveWearer:
    """The one wearer of a pipeline without [[wearers]]: from --subject and --model."""
    from emostream.consent import check_pseudonym
    from emostream.pipeline.wearers import LiveWearer

    subject = check_pseudonym(args.subject if args.subject is not None else "anon")
    return LiveWearer(slot="", subject=subject, config=config, model_path=args.model)
