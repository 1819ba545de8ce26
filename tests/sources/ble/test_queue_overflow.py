"""A starved driver: notifications beyond the bounded queue are counted in `n_dropped`, the
callback never blocks, and the queued packets are kept in arrival order."""

from __future__ import annotations

import struct

from emostream.profiles import load_profile
from emostream.sources.ble import HeartRateStrap

QUEUE_SIZE = 4
N_NOTIFICATIONS = 11


def test_overflow_is_counted_and_the_queued_packets_kept_in_order() -> None:
    driver = HeartRateStrap(load_profile("hr-strap"), "F1:00:00:00:30:09", queue_size=QUEUE_SIZE)
    on_notify = driver.notifier("hr")  # what bleak calls for each notification
    # Heart Rate Measurement: flags (RR present), HR in bpm, one RR interval in 1/1024 s
    payloads = [struct.pack("<BBH", 0x10, 60 + i, 1024 + i) for i in range(N_NOTIFICATIONS)]
    for payload in payloads:  # nothing consumes the queue meanwhile
        on_notify(None, bytearray(payload))
    assert driver.n_dropped == N_NOTIFICATIONS - QUEUE_SIZE
    assert driver.queue_peak == QUEUE_SIZE
    kept = [driver.queue.get_nowait() for _ in range(driver.queue.qsize())]
    assert [payload for _, _, payload in kept] == payloads[:QUEUE_SIZE]
    arrivals = [arrival_s for _, arrival_s, _ in kept]
    assert arrivals == sorted(arrivals)
