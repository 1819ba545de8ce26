"""Many independent items (sessions, subjects) on a `dask.distributed` client, or in-process.

`map_named` runs `func` on every named item: in this process when one worker is asked for or
there is only one item, otherwise on a LocalCluster of worker processes (one thread each) or
on an existing scheduler. An item whose function raises an `EmostreamError` is returned as
an error naming it; the others still run. Results come back in the items' order, whatever
order the workers finish in. Given the items' sizes, the workers take the largest first, so
that a cohort does not end with one worker busy on a long session while the others wait. One
progress bar covers all items.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

from emostream.errors import EmostreamError, UsageError

if TYPE_CHECKING:
    from distributed import Client, LocalCluster

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class ClusterOptions:
    """`workers`: worker processes of a LocalCluster (None: one per core); `scheduler`: the
    address of an existing Dask scheduler (then `workers` is not used)."""

    workers: int | None = None
    scheduler: str | None = None

    def in_process(self, n_items: int) -> bool:
        return self.scheduler is None and (self.workers == 1 or n_items <= 1)

    def local_workers(self, n_items: int) -> int:
        return max(1, min(self.workers or os.cpu_count() or 1, n_items))


@dataclass(frozen=True, slots=True)
class Outcome(Generic[R]):
    """One item's result, or the message of the error it raised."""

    name: str
    value: R | None = None
    error: str | None = None


def local_cluster(n_workers: int) -> LocalCluster:
    """A LocalCluster of `n_workers` processes with one thread each and no dashboard."""
    from distributed import LocalCluster

    return LocalCluster(
        n_workers=n_workers,
        threads_per_worker=1,
        processes=True,
        # the scheduler's HTTP endpoints on a free local port, without the dashboard: two
        # clusters on one machine never compete for Dask's default port
        dashboard_address="127.0.0.1:0",
        scheduler_kwargs={"dashboard": False},
        silence_logs=logging.ERROR,
    )


@contextlib.contextmanager
def client_for(options: ClusterOptions, n_items: int) -> Iterator[Client]:
    """A client of the scheduler at `options.scheduler`, or of a new LocalCluster that is
    closed on exit."""
    from distributed import Client

    if options.scheduler is not None:
        try:
            client = Client(options.scheduler, timeout="10s")
        except (OSError, TimeoutError) as exc:
            raise UsageError(
                f"--scheduler {options.scheduler}: cannot reach a Dask scheduler there ({exc}); "
                "start one with `dask scheduler` or drop --scheduler for a local cluster"
            ) from None
        with client:
            yield client
        return
    with local_cluster(options.local_workers(n_items)) as cluster, Client(cluster) as client:
        yield client


def _guarded(func: Callable[[T], R], item: T) -> tuple[R | None, str | None]:
    try:
        return func(item), None
    except EmostreamError as exc:
        return None, str(exc)


def map_named(
    func: Callable[[T], R],
    items: Sequence[tuple[str, T]],
    options: ClusterOptions,
    *,
    what: str,
    progress: bool = True,
    sizes: Sequence[float] | None = None,
) -> list[Outcome[R]]:
    """`func(item)` for every `(name, item)`, in the items' order (see the module doc).
    `what` names the items on the progress bar ("sessions"); `sizes` (e.g. bytes on disk)
    orders the work on a cluster, largest first."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    bar = Progress(
        TextColumn(what),
        BarColumn(),
        MofNCompleteColumn(),
        transient=True,
        disable=not (progress and sys.stderr.isatty()),
    )
    task = bar.add_task(what, total=len(items))
    results: list[tuple[R | None, str | None]] = []
    with bar:
        if options.in_process(len(items)):
            for _, item in items:
                results.append(_guarded(func, item))
                bar.advance(task)
        else:
            from distributed import as_completed

            with client_for(options, len(items)) as client:
                order = sorted(range(len(items)), key=lambda i: -sizes[i] if sizes else 0.0)
                submitted = {  # in that order, each at a lower priority than the last
                    i: client.submit(_guarded, func, items[i][1], pure=False, priority=-rank)
                    for rank, i in enumerate(order)
                }
                futures = [submitted[i] for i in range(len(items))]
                for _ in as_completed(futures):
                    bar.advance(task)
                results = client.gather(futures)
    return [
        Outcome(name, value, error)
        for (name, _), (value, error) in zip(items, results, strict=True)
    ]
