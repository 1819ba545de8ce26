"""Memory of reading LSL streams for a long time: how fast a reader's RSS grows, and what in
the reading makes it grow.

A publisher (`live.py --publish N`: N synthetic wearers, each with ECG 250 Hz, PPG 64 Hz,
EDA 4 Hz and 3-axis ACC 32 Hz outlets, paced at real time) feeds three readers, run side by
side as separate processes on the same streams:

- `pylsl`: one thread per stream in `StreamInlet.pull_chunk`, nothing else (the baseline);
- `pylsl+clock`: the same, plus `time_correction` every 5 s per inlet (liblsl then runs a
  clock-offset thread per inlet in the background);
- `pylsl+host-clock`: `time_correction` every 5 s on one inlet only (all the streams come
  from one host, so they share one clock);
- `source`: emostream's `LslSource` per stream, its events drained on one asyncio loop, as a
  pipeline builds them (one clock measurement per host).

Each reader reports its RSS every 10 s; the script prints each one's growth over the
measured span (from `--settle` seconds on, least-squares slope in MB per minute) and its
difference from the baseline's (a difference, not a ratio: the baseline grows by about
nothing).

    .venv/bin/python benchmarks/lsl_memory.py --wearers 25 --seconds 300
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import numpy as np
import pylsl

READERS = ("pylsl", "pylsl+clock", "pylsl+host-clock", "source")
STREAMS_PER_WEARER = 4
REPORT_EVERY_S = 10.0
#: as `LslSource`'s default `clock_refresh_s`
CLOCK_REFRESH_S = 5.0


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def resolve_all(tag: str, n_streams: int) -> list[pylsl.StreamInfo]:
    """Every outlet named `tag-…` (LSL answers a query with a subset at a time)."""
    found: dict[str, pylsl.StreamInfo] = {}
    while len(found) < n_streams:
        for info in pylsl.resolve_bypred(f"starts-with(name,'{tag}-')", 0, 2.0):
            found[info.name()] = info
    return list(found.values())


def read(mode: str, tag: str, n_streams: int, seconds: float) -> None:
    """One reader: RSS as a JSON line every REPORT_EVERY_S, for `seconds` once subscribed."""
    infos = resolve_all(tag, n_streams)
    t0 = time.monotonic()
    samples = [0]

    def report() -> None:
        print(json.dumps({"t_s": time.monotonic() - t0, "rss_mb": rss_mb(), "n": samples[0]}))
        sys.stdout.flush()

    if mode == "source":
        asyncio.run(_drain_sources(infos, t0, seconds, samples, report))
        os._exit(0)  # the sources' reader threads are daemons; nothing else to close

    def pull(info: pylsl.StreamInfo) -> None:  # until the process exits
        inlet = pylsl.StreamInlet(info, max_buflen=360, recover=True)
        measures = mode == "pylsl+clock" or (mode == "pylsl+host-clock" and info is infos[0])
        last_clock = -np.inf
        while True:
            _, ts = inlet.pull_chunk(timeout=0.2, max_samples=4096, min_samples=1, as_numpy=True)
            samples[0] += len(ts)
            if measures and time.monotonic() - last_clock > CLOCK_REFRESH_S:
                inlet.time_correction(timeout=2.0)
                last_clock = time.monotonic()

    for info in infos:
        threading.Thread(target=pull, args=(info,), daemon=True).start()
    while time.monotonic() - t0 < seconds:  # reported while every thread still reads
        time.sleep(REPORT_EVERY_S)
        report()
    os._exit(0)  # the readers are daemon threads blocked in liblsl


async def _drain_sources(infos, t0: float, seconds: float, samples: list[int], report) -> None:
    from emostream.core.chunk import Chunk
    from emostream.sources.host_clock import HOST_CLOCKS
    from emostream.sources.lsl import LslQuery, LslSource

    sources = [LslSource(LslQuery(name=info.name()), host_clocks=HOST_CLOCKS) for info in infos]

    async def drain(source: LslSource) -> None:
        async for event in source.events():
            if isinstance(event, Chunk):
                samples[0] += event.timestamps.size

    drains = [asyncio.create_task(drain(s)) for s in sources]  # noqa: F841 (kept alive)
    while time.monotonic() - t0 < seconds:  # reported while every source still reads
        await asyncio.sleep(REPORT_EVERY_S)
        report()


def growth_mb_per_min(trace: list[dict], settle_s: float) -> float:
    """Least-squares slope of RSS over time, from `settle_s` on."""
    t = np.array([r["t_s"] for r in trace if r["t_s"] >= settle_s])
    rss = np.array([r["rss_mb"] for r in trace if r["t_s"] >= settle_s])
    if t.size < 2:
        return float("nan")
    return float(np.polyfit(t / 60.0, rss, 1)[0])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--wearers", type=int, default=25)
    p.add_argument("--seconds", type=float, default=300.0, help="seconds each reader reads")
    p.add_argument("--settle", type=float, default=60.0, help="seconds left out of the slope")
    p.add_argument("--read", choices=READERS, help=argparse.SUPPRESS)
    p.add_argument("--tag", default="", help=argparse.SUPPRESS)
    args = p.parse_args()
    n_streams = STREAMS_PER_WEARER * args.wearers
    if args.read:
        read(args.read, args.tag, n_streams, args.seconds)
        return
    tag = f"lm{uuid.uuid4().hex[:6]}"
    live = Path(__file__).with_name("live.py")
    publisher = subprocess.Popen(
        [sys.executable, str(live), "--publish", str(args.wearers),
         "--seconds", str(args.seconds + 60.0), "--tag", tag],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    common = ["--tag", tag, "--wearers", str(args.wearers), "--seconds", str(args.seconds)]
    readers = {
        mode: subprocess.Popen(
            [sys.executable, __file__, "--read", mode, *common],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        for mode in READERS
    }
    traces = {}
    for mode, reader in readers.items():
        out, _ = reader.communicate()
        traces[mode] = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    publisher.terminate()
    publisher.wait()
    growth = {mode: growth_mb_per_min(trace, args.settle) for mode, trace in traces.items()}
    for mode, trace in traces.items():
        print(json.dumps({
            "reader": mode,
            "streams": n_streams,
            "rss_first_mb": trace[0]["rss_mb"] if trace else None,
            "rss_last_mb": trace[-1]["rss_mb"] if trace else None,
            "samples": trace[-1]["n"] if trace else 0,
            "growth_mb_per_min": growth[mode],
            "growth_minus_pylsl_mb_per_min": growth[mode] - growth["pylsl"],
        }), flush=True)  # fmt: skip
    print(json.dumps({"load_average": os.getloadavg()}), flush=True)


if __name__ == "__main__":
    main()
