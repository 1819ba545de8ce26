"""Short accelerated soak (the full 30-minute figure comes from benchmarks/soak_ble.py)."""

from __future__ import annotations

from benchmarks.soak_ble import soak
from tests.sources.ble.harness import run


def test_periodic_dropouts_keep_memory_bounded_and_samples_unique() -> None:
    # 1.5 device-minutes at 15x with a 4-second dropout every 20 device-seconds
    result = run(
        soak(
            minutes=1.5,
            speed=15.0,
            every_s=20.0,
            away_s=4.0,
            address="F2:00:00:00:60:01",
            min_dropouts=3,
        ),
        120,
    )
    assert result.dropouts >= 3 and result.gaps == result.dropouts
    assert result.duplicates == 0 and result.non_monotonic == 0
    assert result.queue_dropped == 0 and result.queue_peak <= result.queue_size
    assert all(d < 5.0 for d in result.reconnect_delays_s)
    # received = sent minus what fell into the dropouts: one run of missing samples each (how
    # long a run is depends on how fast a loaded machine reconnects, so it is not asserted)
    assert 0 < result.ecg_received < result.ecg_sent
    assert result.ecg_holes == result.dropouts
    assert result.rss_growth_ratio < 1.5
