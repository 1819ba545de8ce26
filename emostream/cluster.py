"""Many independent items (sessions, subjects) on a `dask.distributed` client, or in-process.

`map_named` runs `func` on every named item: in this process when one worker is asked for or
there is only one item, otherwise on a LocalCluster of worker processes (one thread each) or
on an existing scheduler. An item whose function raises an `EmostreamError` is returned as
an error naming it; the others still run. Results come back in the items' order, whatever
order the workers finish in. Given the items' sizes, the workers take the largest first, so
that a cohort does not end with one worker busy on a long session while the others wait.
Data that every item needs (`shared`) is sent to each worker once. Items are read and sent
as workers come free, two per worker thread ahead, so that the data of every item is never
in this process, on the scheduler and on the workers all at once. One progress bar covers
all items.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from emostream.errors import EmostreamError, UsageError

if TYPE_CHECKING:
    from distributed import Client, Future, LocalCluster

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


#: one item after the other, in this process
SERIAL = ClusterOptions(workers=1)


@dataclass(frozen=True, slots=True)
class Outcome(Generic[R]):
    """One item's result, or the message of the error it raised."""

    name: str
    value: R | None = None
    error: str | None = None


#: Dask's own periodic work in a worker process, turned down. Each wake-up takes the GIL from
#: the task's thread: the statistical profiler samples every thread's stack every 10 ms (for
#: a dashboard these clusters do not serve), the event-loop tick runs every 20 ms and the
#: system monitor every 0.5 s. With Dask's defaults a cohort's tasks took 1.17x their serial
#: time (docs/benchmarks.md, "Cohort"). The preload keeps Dask's shutdown race out of the
#: command's output (`emostream.cluster_worker`).
QUIET_WORKERS: dict[str, Any] = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.worker.preload": ["emostream.cluster_worker"],
}


def local_cluster(n_workers: int) -> LocalCluster:
    """A LocalCluster of `n_workers` processes with one thread each, no dashboard and
    `QUIET_WORKERS`."""
    import dask
    from distributed import LocalCluster

    # the nannies take the configuration they are made under to every worker they start
    with dask.config.set(QUIET_WORKERS):
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


#: the LocalClusters that `reused_clusters` keeps up, by worker count (None: none kept)
_kept: dict[int, LocalCluster] | None = None


@contextlib.contextmanager
def reused_clusters() -> Iterator[None]:
    """Within this block, a LocalCluster that `client_for` starts stays up for later calls
    with the same worker count, and is closed on exit: a command that maps several times
    (features, then folds) starts its workers once."""
    global _kept
    outer, _kept = _kept, {}
    try:
        yield
    finally:
        kept, _kept = _kept, outer
        for cluster in kept.values():
            cluster.close()


@contextlib.contextmanager
def client_for(options: ClusterOptions, n_items: int) -> Iterator[Client]:
    """A client of the scheduler at `options.scheduler`, or of a LocalCluster: a new one,
    closed on exit, or the one kept by `reused_clusters`."""
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
    n_workers = options.local_workers(n_items)
    if _kept is None:
        with local_cluster(n_workers) as cluster, Client(cluster) as client:
            yield client
        return
    if n_workers not in _kept:
        _kept[n_workers] = local_cluster(n_workers)
    with Client(_kept[n_workers]) as client:
        yield client


def _guarded(func: Callable[..., R], item: Any, *shared: Any) -> tuple[R | None, str | None]:
    try:
        return func(item, *shared), None
    except EmostreamError as exc:
        return None, str(exc)


_NOTHING_SHARED = object()

#: items submitted per worker thread at a time: one running and one waiting, so that no
#: worker waits for this process between items
ITEMS_PER_WORKER_THREAD = 2


def map_named(
    func: Callable[..., R],
    items: Sequence[tuple[str, Any]],
    options: ClusterOptions,
    *,
    what: str,
    progress: bool = True,
    sizes: Sequence[float] | None = None,
    shared: Any = _NOTHING_SHARED,
    done: Callable[[Outcome[R]], None] | None = None,
) -> list[Outcome[R]]:
    """`func(item)`, or `func(item, shared)` when `shared` is given, for every `(name, item)`,
    in the items' order (see the module doc). `what` names the items on the progress bar
    ("sessions"); `sizes` (e.g. bytes on disk) orders the work on a cluster, largest first;
    `done` is called with each outcome as soon as it is known (on a cluster, in the order
    the workers finish). Each item is read once, so `items` may build them lazily."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    bar = Progress(
        TextColumn(what),
        BarColumn(),
        MofNCompleteColumn(),
        transient=True,
        disable=not (progress and sys.stderr.isatty()),
    )
    task = bar.add_task(what, total=len(items))
    extra = () if shared is _NOTHING_SHARED else (shared,)
    outcomes: list[Outcome[R] | None] = [None] * len(items)

    def finished(i: int, name: str, result: tuple[R | None, str | None]) -> None:
        outcome = outcomes[i] = Outcome(name, *result)
        if done is not None:
            done(outcome)
        bar.advance(task)

    with bar:
        if options.in_process(len(items)):
            for i in range(len(items)):
                name, item = items[i]
                finished(i, name, _guarded(func, item, *extra))
        else:
            from distributed import as_completed

            with client_for(options, len(items)) as client:
                if extra:
                    extra = (client.scatter([shared], broadcast=True, hash=False)[0],)
                order = sorted(range(len(items)), key=lambda i: -sizes[i] if sizes else 0.0)
                index: dict[Future, tuple[int, str]] = {}  # item and name of each running

                def submit(rank: int) -> Future:  # each at a lower priority than the last
                    name, item = items[order[rank]]
                    future = client.submit(_guarded, func, item, *extra, pure=False, priority=-rank)
                    index[future] = (order[rank], name)
                    return future

                def room() -> int:
                    return ITEMS_PER_WORKER_THREAD * max(1, sum(client.nthreads().values()))

                ranks = iter(range(len(order)))
                running = as_completed(
                    [submit(rank) for rank in itertools.islice(ranks, room())], with_results=True
                )
                for future, result in running:
                    finished(*index.pop(future), result)
                    for rank in itertools.islice(ranks, max(0, room() - len(index))):
                        running.add(submit(rank))
    return [o for o in outcomes if o is not None]
