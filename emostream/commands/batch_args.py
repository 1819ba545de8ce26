"""Options shared by the commands that work through many sessions or subjects: where they run
(Dask) and the feature cache."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from emostream.cluster import ClusterOptions
from emostream.errors import UsageError

#: the environment variable that gives --workers its default
WORKERS_ENV = "EMOSTREAM_WORKERS"


def add_cluster_args(p: argparse.ArgumentParser, items: str) -> None:
    """--workers and --scheduler; `items` names what runs in parallel ("sessions")."""
    group = p.add_argument_group("parallel")
    where = group.add_mutually_exclusive_group()
    where.add_argument(
        "--workers",
        default=os.environ.get(WORKERS_ENV, "auto"),
        metavar="auto|N",
        help=f"{items} in parallel on a local Dask cluster of N worker processes (default "
        f"${WORKERS_ENV}, else auto: one per core); 1 runs them one after the other in this "
        "process",
    )
    where.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="run on an existing Dask cluster, e.g. tcp://HOST:8786 (its workers need "
        "emostream installed and the inputs at the same paths)",
    )


def cluster_options(args: argparse.Namespace) -> ClusterOptions:
    if args.workers == "auto":
        return ClusterOptions(None, args.scheduler)
    try:
        workers = int(args.workers)
    except ValueError:
        workers = 0
    if workers < 1:
        raise UsageError(f"--workers {args.workers}: give 'auto' or a whole number >= 1")
    return ClusterOptions(workers, args.scheduler)


def add_cache_args(p: argparse.ArgumentParser, what: str) -> None:
    """--cache-dir and --no-cache; `what` says what is cached."""
    cache = p.add_mutually_exclusive_group()
    cache.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help=f"cache of {what} (default $XDG_CACHE_HOME/emostream/features)",
    )
    cache.add_argument("--no-cache", action="store_true", help=f"compute {what} afresh")


def cache_dir(args: argparse.Namespace) -> Path | None:
    """The cache folder the options ask for (None: --no-cache)."""
    from emostream.datasets.cache import default_dir

    return None if args.no_cache else (args.cache_dir or default_dir())
