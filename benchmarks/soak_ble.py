"""Accelerated soak of a BLE driver with periodic dropouts.

A virtual Polar H10 runs `--speed` times faster than real time for `--minutes` of device
time, walking out of range every `--every` device-seconds for `--away` device-seconds. The
driver publishes to LSL outlets; a plain pylsl inlet reads the ECG counter channel.

Reports: samples sent/received, duplicates, gaps, reconnect delays after each return, the
driver's raw-queue peak, and process RSS (peak, and growth ratio end / after the first
quarter, a baseline measured in the same run).

    .venv/bin/python benchmarks/soak_ble.py --minutes 30 --speed 30
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pylsl

from emostream.core.chunk import Chunk
from emostream.core.clock import lsl_now_s
from emostream.core.events import Gap
from emostream.profiles import load_profile
from emostream.protocols import pmd
from emostream.sinks.lsl import StreamOutlets
from emostream.sources.ble import PolarH10
from emostream.sources.supervisor import BackoffPolicy
from emostream.testing.peripherals import VirtualPolarH10
from emostream.testing.virtual_air import VirtualAir

sys.path.insert(0, str(Path(__file__).resolve().parent))
from procfs import rss_mb


@dataclass
class SoakResult:
    device_minutes: float
    speed: float
    dropouts: int
    gaps: int
    ecg_sent: int
    ecg_received: int
    duplicates: int
    non_monotonic: int
    #: runs of ECG sample numbers missing between the first and last received sample
    ecg_holes: int = 0
    reconnect_delays_s: list[float] = field(default_factory=list)
    queue_peak: int = 0
    queue_size: int = 0
    queue_dropped: int = 0
    rss_peak_mb: float = 0.0
    rss_growth_ratio: float = 0.0


async def soak(
    minutes: float,
    speed: float,
    every_s: float,
    away_s: float,
    address: str = "F2:00:00:00:50:01",
    min_dropouts: int = 0,
) -> SoakResult:
    """Run for `minutes` of device time, and on until `min_dropouts` dropouts have happened
    (reconnects take longer on a loaded machine, leaving fewer dropouts in the time)."""
    loop = asyncio.get_running_loop()
    air = VirtualAir()
    device = VirtualPolarH10(air, address=address, speed=speed, keep_log=False)
    await device.start()
    driver = PolarH10(
        load_profile("polar-h10"), address, backend=air.backend(),
        policy=BackoffPolicy(initial_s=0.05, max_s=1.0), stall_timeout_s=2.0, queue_size=1024,
    )  # fmt: skip
    outlets = StreamOutlets(driver.specs)
    gaps: list[Gap] = []

    async def pump() -> None:
        async for event in driver.events():
            if isinstance(event, Chunk):
                outlets.push(event)
            elif isinstance(event, Gap) and event.source_id.endswith(":ecg"):
                gaps.append(event)

    task = asyncio.create_task(pump())
    found = await asyncio.to_thread(
        pylsl.resolve_byprop, "source_id", driver.spec("ECG").source_id, 1, 10.0
    )
    inlet = pylsl.StreamInlet(found[0], max_buflen=360)
    received: list[np.ndarray] = []
    stamps: list[np.ndarray] = []
    buffer = np.zeros((4096, 1), dtype=np.float32)
    stamp_buffer = np.zeros(4096)

    def drain() -> None:
        while True:
            _, ts = inlet.pull_chunk(timeout=0.0, max_samples=4096, dest_obj=buffer)
            if not ts:
                return
            n = len(ts)
            stamp_buffer[:n] = ts
            received.append(buffer[:n, 0].astype(np.int64))
            stamps.append(stamp_buffer[:n].copy())

    t_end = loop.time() + minutes * 60 / speed
    next_dropout = loop.time() + every_s / speed
    rss: list[float] = []
    delays: list[float] = []
    dropouts = 0
    while loop.time() < t_end or dropouts < min_dropouts:
        await asyncio.sleep(0.05)
        drain()
        rss.append(rss_mb(os.getpid()))
        if loop.time() >= next_dropout:
            dropouts += 1
            n_gaps = len(gaps)
            await device.go_away()
            await asyncio.sleep(away_s / speed)
            returned = lsl_now_s()
            await device.come_back()
            async with asyncio.timeout(30):
                while len(gaps) == n_gaps:
                    await asyncio.sleep(0.01)
                    drain()
            delays.append(gaps[-1].t_to_s - returned)
            next_dropout = loop.time() + every_s / speed
    await asyncio.sleep(0.5)
    drain()
    await driver.aclose()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await device.close()
    counter = np.concatenate(received) if received else np.zeros(0, dtype=np.int64)
    ts = np.concatenate(stamps) if stamps else np.zeros(0)
    quarter = rss[len(rss) // 4] if rss else float("nan")
    return SoakResult(
        device_minutes=minutes, speed=speed, dropouts=dropouts, gaps=len(gaps),
        ecg_sent=device.n_samples[pmd.Measurement.ECG], ecg_received=int(counter.size),
        duplicates=int(counter.size - np.unique(counter).size),
        non_monotonic=int(np.count_nonzero(np.diff(ts) <= 0)),
        ecg_holes=int(np.count_nonzero(np.diff(np.unique(counter)) > 1)),
        reconnect_delays_s=[round(d, 3) for d in delays],
        queue_peak=driver.queue_peak, queue_size=driver.queue.maxsize, queue_dropped=driver.n_dropped,
        rss_peak_mb=round(max(rss), 1) if rss else float("nan"),
        rss_growth_ratio=round(rss[-1] / quarter, 3) if rss else float("nan"),
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0, help="device minutes (default 30)")
    parser.add_argument("--speed", type=float, default=30.0, help="time acceleration (default 30)")
    parser.add_argument("--every", type=float, default=120.0, help="device s between dropouts")
    parser.add_argument("--away", type=float, default=15.0, help="device s away per dropout")
    args = parser.parse_args()
    result = asyncio.run(soak(args.minutes, args.speed, args.every, args.away))
    print(json.dumps(asdict(result), indent=1))
    delays = np.asarray(result.reconnect_delays_s)
    print(
        f"{result.device_minutes:g} device-min at {result.speed:g}x: {result.dropouts} dropouts, "
        f"{result.gaps} gaps, {result.ecg_received}/{result.ecg_sent} ECG samples received, "
        f"{result.duplicates} duplicated, reconnect after return median {np.median(delays):.3f} s "
        f"max {delays.max():.3f} s, queue peak {result.queue_peak}/{result.queue_size}, "
        f"RSS peak {result.rss_peak_mb} MB, RSS end/quarter ratio {result.rss_growth_ratio}, "
        f"peak RSS (getrusage) {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f} MB"
    )


if __name__ == "__main__":
    main()
