"""`map_named` on a real 2-process LocalCluster: results in the items' order, whichever
worker finishes first; a failing item named, the others kept."""

from __future__ import annotations

import time

from emostream.cluster import ClusterOptions, map_named
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
