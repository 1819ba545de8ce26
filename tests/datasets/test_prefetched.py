"""Re-assembled sessions computed up front on a real Dask LocalCluster (`evaluate` with
workers) are held pickled: each one asked for equals the session computed directly, comes as
a new copy, and all of them together take a fraction of their room as objects."""

from __future__ import annotations

import numpy as np

from emostream.cluster import ClusterOptions
from emostream.datasets.registry import prefetched
from emostream.datasets.windows import SubjectWindows
from emostream.features.base import FeatureVector

from .conftest import traced_growth

KEYS = [(f"S{k}", seed) for k in range(2) for seed in range(2)]


def synthetic_session(subject: str, seed: int) -> SubjectWindows:
    """2000 windows of 40 features, different for every (subject, seed)."""
    rng = np.random.default_rng([int(subject[1:]), seed])
    windows = [
        FeatureVector(
            float(i),
            float(i + 60),
            values={f"feature_{j}": float(v) for j, v in enumerate(rng.normal(size=40))},
            quality={"eda": 1.0},
        )
        for i in range(2000)
    ]
    return SubjectWindows(subject, windows, ["calm"] * len(windows))


def test_prefetched_sessions_are_held_compactly_and_handed_out_as_new_copies(dask_scheduler):
    cluster = ClusterOptions(scheduler=dask_scheduler)
    prefetched(synthetic_session, KEYS[:1], cluster)  # the client's first connection, untraced
    windows, held_bytes = traced_growth(lambda: prefetched(synthetic_session, KEYS, cluster))
    _, as_objects_bytes = traced_growth(lambda: [synthetic_session(*key) for key in KEYS])
    assert held_bytes < as_objects_bytes / 3
    for subject, seed in KEYS:
        first, again = windows(subject, seed), windows(subject, seed)
        assert first == synthetic_session(subject, seed)
        assert first is not again and first.windows[0] is not again.windows[0]
