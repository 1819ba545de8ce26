"""`map_named` on a real 2-process LocalCluster: results in the items' order, whichever
worker finishes first; a failing item named, the others kept."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence

from emostream.cluster import ClusterOptions, Outcome, map_named
from emostream.errors import StreamError


def test_results_follow_the_items_not_the_finishing_order(dask_scheduler):
    # the first item takes longest, so the workers finish the others before it
    def wait(seconds: float) -> float:
        if seconds < 0:
            raise StreamError("negative wait")
        time.sleep(seconds)
        return seconds

    items = [("slow", 2.0), ("quick", 0.0), ("bad", -1.0), ("quick2", 0.0)]
    outcomes = map_named(
        wait, items, ClusterOptions(scheduler=dask_scheduler), what="items", progress=False
    )
    assert [(o.name, o.value) for o in outcomes] == [
        ("slow", 2.0), ("quick", 0.0), ("bad", None), ("quick2", 0.0)
    ]  # fmt: skip
    assert outcomes[2].error is not None and "negative wait" in outcomes[2].error


def test_the_largest_items_start_first(dask_scheduler):
    def started(_: int) -> float:
        begin = time.monotonic()
        time.sleep(0.3)
        return begin

    items = [(f"item{i}", i) for i in range(8)]  # the smallest come first
    outcomes = map_named(
        started,
        items,
        ClusterOptions(scheduler=dask_scheduler),
        what="items",
        progress=False,
        sizes=[float(i) for i in range(8)],
    )
    begins = [o.value for o in outcomes]
    assert [o.name for o in outcomes] == [name for name, _ in items]
    assert max(begins[4:]) < min(begins[:4])  # the four largest all started before the rest


def test_shared_data_reaches_every_item_and_each_outcome_is_reported_once(dask_scheduler):
    def scaled(item: int, shared: dict[str, int]) -> int:
        if item < 0:
            raise StreamError("negative item")
        return item * shared["factor"]

    items = [(f"item{i}", i) for i in (3, -1, 1, 2)]
    for options in (ClusterOptions(workers=1), ClusterOptions(scheduler=dask_scheduler)):
        reported = []
        outcomes = map_named(
            scaled,
            items,
            options,
            what="items",
            progress=False,
            shared={"factor": 10},
            done=reported.append,
        )
        assert [o.value for o in outcomes] == [30, None, 10, 20]
        assert sorted(reported, key=lambda o: o.name) == sorted(outcomes, key=lambda o: o.name)


class _BuiltWhenRead(Sequence[tuple[str, int]]):
    """Items made when read (as an evaluation re-assembles a session), noting how many
    outcomes were known at each read."""

    def __init__(self, n: int, known: list[Outcome[int]]):
        self.n, self.known = n, known
        self.known_at_read: list[int] = []

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i):  # type: ignore[override]
        self.known_at_read.append(len(self.known))
        return f"item{i}", i


def test_items_are_read_as_workers_come_free_not_all_at_once(dask_scheduler):
    def slow(item: int) -> int:
        time.sleep(0.1)
        return item

    reported: list[Outcome[int]] = []
    items = _BuiltWhenRead(12, reported)
    outcomes = map_named(
        slow,
        items,
        ClusterOptions(scheduler=dask_scheduler),
        what="items",
        progress=False,
        done=reported.append,
    )
    assert [o.value for o in outcomes] == list(range(12))
    # 2 workers of 1 thread, two items each: four read at the start, then one per outcome
    assert items.known_at_read == [0, 0, 0, 0, *range(1, 9)]


def _worker_pid(_: int) -> int:
    return os.getpid()


def test_a_reused_cluster_serves_every_map_of_the_block_and_closes_after_it():
    from emostream import cluster

    options = ClusterOptions(workers=2)
    items = [(f"item{i}", i) for i in range(6)]
    with cluster.reused_clusters():
        first = {o.value for o in map_named(_worker_pid, items, options, what="", progress=False)}
        (kept,) = cluster._kept.values()
        workers = {nanny.pid for nanny in kept.workers.values()}
        second = {o.value for o in map_named(_worker_pid, items, options, what="", progress=False)}
    assert len(workers) == 2 and os.getpid() not in workers
    assert first <= workers and second <= workers  # both maps ran on the kept cluster's workers
    assert kept.status.name == "closed" and cluster._kept is None


def _periodic_work(dask_worker) -> tuple[bool, float, float]:
    callbacks = dask_worker.periodic_callbacks
    return (
        "profile" in callbacks,
        callbacks["tick"].callback_time,
        callbacks["monitor"].callback_time,
    )


def test_local_workers_run_without_the_profiler_and_with_slow_ticks(dask_scheduler):
    from distributed import Client

    with Client(dask_scheduler) as client:
        seen = client.run(_periodic_work)
    assert len(seen) == 2
    # no stack sample every 10 ms, a tick a second (not 20 ms), a system reading every 5 s
    assert set(seen.values()) == {(False, 1000.0, 5000.0)}


def _heartbeat_failures_logged(dask_worker) -> tuple[bool, bool, bool]:
    """Whether this worker's logger lets through a heartbeat failure caused by the scheduler
    closing the connection, one caused by a timeout, and another error."""
    import logging

    from distributed.comm.core import CommClosedError

    from emostream.cluster_worker import HEARTBEAT_FAILED

    logger = logging.getLogger("distributed.worker")

    def passes(msg: str, exc: Exception) -> bool:
        record = logger.makeRecord(
            logger.name, logging.ERROR, __file__, 0, msg, (), (type(exc), exc, None)
        )
        return bool(logger.filter(record))

    return (
        passes(HEARTBEAT_FAILED, CommClosedError("in <TCP (closed)>: Stream is closed")),
        passes(HEARTBEAT_FAILED, OSError("Timed out trying to connect")),
        passes("Worker stream died during communication", CommClosedError("closed")),
    )


def test_local_workers_drop_only_the_heartbeat_failure_of_a_closing_scheduler(dask_scheduler):
    from distributed import Client

    with Client(dask_scheduler) as client:
        seen = client.run(_heartbeat_failures_logged)
    assert len(seen) == 2
    # Dask's shutdown race is not printed; a heartbeat that times out, or any other error, is
    assert set(seen.values()) == {(False, True, True)}
