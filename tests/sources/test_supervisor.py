"""Back-off policy: exponential, capped, jittered downwards."""

from __future__ import annotations

import random

from emostream.sources.supervisor import BackoffPolicy


def test_backoff_grows_caps_and_jitters() -> None:
    policy = BackoffPolicy(initial_s=0.2, factor=2.0, max_s=3.0, jitter=0.5)
    rng = random.Random(0)
    for attempt, base in [(0, 0.2), (1, 0.4), (3, 1.6), (4, 3.0), (50, 3.0)]:
        delays = [policy.delay_s(attempt, rng) for _ in range(200)]
        assert all(0.5 * base <= d <= base for d in delays)
        assert max(delays) - min(delays) > 0.3 * base  # really jittered


def test_no_jitter_is_deterministic() -> None:
    policy = BackoffPolicy(jitter=0.0)
    assert [policy.delay_s(n, random.Random()) for n in range(5)] == [0.2, 0.4, 0.8, 1.6, 3.0]
