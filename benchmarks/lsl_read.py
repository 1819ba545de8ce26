"""Reading many live LSL streams: the CPU an `LslSource` spends per chunk, against bare pylsl.

A publisher process (`benchmarks/live.py --publish N`) paces N synthetic wearers at real time
(ECG 250 Hz, PPG 64 Hz, EDA 4 Hz and 3-axis ACC 32 Hz each, pushed every 0.1 s). This process
reads all 4·N streams for `--seconds`, in turn:

- **baseline**: bare pylsl, one thread per inlet blocked in
  `pull_chunk(min_samples=1, as_numpy=True)`, counting what it gets;
- **emostream**: one `LslSource` per stream (one thread polls every inlet, clock offsets
  shared per host, timestamp guard with dejitter, one asyncio event loop), consumed as a
  run consumes them.

Each gets a fresh publisher; the first 5 s (subscribing, first clock offsets) are not counted.
CPU = this process's user + system time, liblsl's threads included, over the counted span;
per chunk = CPU / chunks read. The ratio emostream / baseline is printed; `--rounds` repeats
the pair, alternating, and the ratio is of the medians.

    .venv/bin/python benchmarks/lsl_read.py --wearers 25 --seconds 30 --rounds 2
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pylsl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from live import STREAMS, slot

WARM_UP_S = 5.0


def source_ids(tag: str, n_wearers: int) -> list[str]:
    return [f"{tag}:{slot(i, n_wearers)}:{kind.lower()}" for i in range(n_wearers)
            for kind, _, _ in STREAMS]  # fmt: skip


def start_publisher(n_wearers: int, seconds: float) -> tuple[subprocess.Popen, str]:
    tag = f"rd{uuid.uuid4().hex[:6]}"
    script = Path(__file__).resolve().parent / "live.py"
    command = [sys.executable, str(script), "--publish", str(n_wearers), "--tag", tag]
    publisher = subprocess.Popen(
        [*command, "--seconds", str(seconds + WARM_UP_S + 10.0)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return publisher, tag


def counted_span(count: list[int], seconds: float) -> dict[str, float]:
    """Chunks and CPU over `seconds`, after the warm-up (the caller's readers are running)."""
    time.sleep(WARM_UP_S)
    chunks0, cpu0, wall0 = count[0], time.process_time(), time.perf_counter()
    time.sleep(seconds)
    chunks, cpu = count[0] - chunks0, time.process_time() - cpu0
    wall = time.perf_counter() - wall0
    return {
        "chunks_per_s": chunks / wall,
        "cpu_pct_of_one_core": 100.0 * cpu / wall,
        "cpu_us_per_chunk": 1e6 * cpu / max(chunks, 1),
    }


def read_bare(ids: list[str], seconds: float) -> dict[str, float]:
    inlets = []
    for source_id in ids:
        info = pylsl.resolve_bypred(f"source_id='{source_id}'", 1, 120.0)[0]
        inlet = pylsl.StreamInlet(info, max_buflen=360, recover=True)
        inlet.open_stream(5.0)
        inlets.append(inlet)
    count, stop = [0], threading.Event()

    def read(inlet: pylsl.StreamInlet) -> None:
        while not stop.is_set():
            _, ts = inlet.pull_chunk(timeout=0.2, max_samples=4096, min_samples=1, as_numpy=True)
            if len(ts):
                count[0] += 1

    threads = [threading.Thread(target=read, args=(i,), daemon=True) for i in inlets]
    for thread in threads:
        thread.start()
    result = counted_span(count, seconds)
    stop.set()
    for thread in threads:
        thread.join()
    return result


def read_emostream(ids: list[str], seconds: float) -> dict[str, float]:
    import logging

    from emostream.core.chunk import Chunk
    from emostream.sources.host_clock import HostClocks
    from emostream.sources.lsl import LslQuery, LslSource

    logging.getLogger("emostream.sources.lsl").setLevel(logging.ERROR)  # the publisher's start
    clocks = HostClocks()
    sources = [
        LslSource(LslQuery(source_id=s), resolve_timeout_s=120.0, host_clocks=clocks) for s in ids
    ]
    count = [0]

    async def consume(source: LslSource) -> None:
        async for event in source.events():
            if isinstance(event, Chunk):
                count[0] += 1

    async def main() -> dict[str, float]:
        tasks = [asyncio.create_task(consume(s)) for s in sources]
        result = await asyncio.to_thread(counted_span, count, seconds)
        for source, task in zip(sources, tasks, strict=True):
            await source.aclose()
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        return result

    return asyncio.run(main())


def one(reader: str, n_wearers: int, seconds: float) -> dict[str, float]:
    publisher, tag = start_publisher(n_wearers, seconds)
    try:
        read = read_bare if reader == "baseline" else read_emostream
        return read(source_ids(tag, n_wearers), seconds)
    finally:
        publisher.kill()
        publisher.wait()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--wearers", type=int, default=25)
    p.add_argument("--seconds", type=float, default=30.0, help="counted seconds per reader")
    p.add_argument("--rounds", type=int, default=2)
    args = p.parse_args()
    per_chunk: dict[str, list[float]] = {"baseline": [], "emostream": []}
    for round_ in range(args.rounds):
        for reader in per_chunk:
            result = one(reader, args.wearers, args.seconds)
            per_chunk[reader].append(result["cpu_us_per_chunk"])
            print(json.dumps({"round": round_ + 1, "reader": reader, **result}), flush=True)
    medians = {k: statistics.median(v) for k, v in per_chunk.items()}
    print(json.dumps({
        "wearers": args.wearers,
        "cpu_us_per_chunk_median": medians,
        "ratio_emostream_to_baseline": medians["emostream"] / medians["baseline"],
        "load_average": os.getloadavg(),
    }), flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
