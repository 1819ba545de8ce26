"""Streams whose outlets vanish: the CPU a reader spends while they are gone, and how soon it
reads them again once they return, emostream's `LslSource` against bare pylsl.

A publisher process pushes N streams (100 Hz, a counter channel, every 0.1 s) for
`--present` s, destroys its outlets, waits `--away` s, creates them again (same source ids)
and pushes for `--back` s. The reading process also holds `--idle-outlets` outlets that
publish nothing, as a run's State outlets do: every query a resolver sends reaches them.

- **baseline**: bare pylsl inlets with `recover=True` (liblsl resolves each lost stream
  again by itself, wave after wave), read by one thread polling every 5 ms;
- **emostream**: one `LslSource` per stream in one event loop, as `emostream run` reads them.

Each reader runs in its own process, with its own publisher. CPU = the reading process's
user + system time (liblsl's threads included) over wall time: while the outlets are there
(from 2 s after subscribing until they vanish) and while they are gone (from 14 s after they
vanished, when emostream has left liblsl's recovery, to 1 s before they return; an outage
too short for that span reports no CPU while gone, and no ratio). Back after
= the first sample's arrival after the return − the moment the publisher began pushing again
(median and largest over the streams). `--rounds` repeats the pair; the ratio is of the medians.

    .venv/bin/python benchmarks/lsl_recovery.py --streams 100 --idle-outlets 50 --rounds 2
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid

import numpy as np
import pylsl

from emostream.sources.lsl_recovery import LOST_AFTER_S

RATE_HZ = 100.0
#: the CPU span begins this long after the outlets vanished: emostream leaves a stream to
#: liblsl's recovery for `LOST_AFTER_S`, then drops its inlet within a few lookups
SETTLE_S = LOST_AFTER_S + 4.0


def away_span_s(away_s: float) -> float:
    """How long the CPU while the outlets are gone is measured (from `SETTLE_S` after they
    vanish to 1 s before they return); not above 0 for a shorter outage."""
    return away_s - 1.0 - SETTLE_S


def publish(tag: str, n: int, present_s: float, away_s: float, back_s: float) -> None:
    def outlets() -> list[pylsl.StreamOutlet]:
        return [
            pylsl.StreamOutlet(pylsl.StreamInfo(
                f"{tag}-{i}", "ECG", 1, RATE_HZ, "float32", f"{tag}:{i}"))
            for i in range(n)
        ]  # fmt: skip

    def push(outs: list[pylsl.StreamOutlet], seconds: float, counter: int) -> int:
        step = int(RATE_HZ * 0.1)
        for _ in range(int(seconds / 0.1)):
            ts = pylsl.local_clock() - np.arange(step)[::-1] / RATE_HZ
            chunk = np.arange(counter, counter + step, dtype=np.float32)[:, None]
            for outlet in outs:
                outlet.push_chunk(chunk, ts)
            counter += step
            time.sleep(0.1)
        return counter

    outs = outlets()
    counter = push(outs, present_s, 0)
    outs.clear()
    gc.collect()
    time.sleep(away_s)
    outs = outlets()
    back_at = pylsl.local_clock()
    push(outs, back_s, counter)
    print(json.dumps({"back_at": back_at}), flush=True)


class Arrivals:
    """Per stream: the arrival of the first chunk after a silence of over 1 s."""

    def __init__(self, n: int) -> None:
        self.last_t = [-np.inf] * n
        self.back: list[float | None] = [None] * n

    def chunk(self, k: int, ts: np.ndarray) -> None:
        if ts[0] - self.last_t[k] > 1.0 and np.isfinite(self.last_t[k]):
            self.back[k] = pylsl.local_clock()
        self.last_t[k] = float(ts[-1])


def read_bare(infos: list[pylsl.StreamInfo], arrivals: Arrivals, stop: threading.Event) -> None:
    inlets = [pylsl.StreamInlet(i, max_buflen=360, recover=True) for i in infos]
    for inlet in inlets:
        inlet.open_stream(5.0)
    while not stop.is_set():
        for k, inlet in enumerate(inlets):
            if inlet.samples_available():
                _, ts = inlet.pull_chunk(timeout=0.0, as_numpy=True)
                if len(ts):
                    arrivals.chunk(k, np.asarray(ts))
        time.sleep(0.005)


def read_emostream(
    infos: list[pylsl.StreamInfo], arrivals: Arrivals, stop: threading.Event
) -> None:
    import logging

    from emostream.core.chunk import Chunk
    from emostream.sources.host_clock import HostClocks
    from emostream.sources.lsl import LslQuery, LslSource

    logging.disable(logging.WARNING)  # the silences, by design
    clocks = HostClocks()
    sources = [LslSource(LslQuery(source_id=i.source_id()), host_clocks=clocks) for i in infos]

    async def consume(k: int, source: LslSource) -> None:
        async for event in source.events():
            if isinstance(event, Chunk):
                arrivals.chunk(k, event.timestamps)

    async def main() -> None:
        tasks = [asyncio.create_task(consume(k, s)) for k, s in enumerate(sources)]
        await asyncio.to_thread(stop.wait)
        for source, task in zip(sources, tasks, strict=True):
            await source.aclose()
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    asyncio.run(main())


def cpu_pct_until(end_s: float) -> float:
    """This process's CPU (all threads) from now until `end_s` (monotonic), % of one core."""
    cpu0, wall0 = sum(os.times()[:2]), time.monotonic()
    time.sleep(max(0.0, end_s - wall0))
    return 100.0 * (sum(os.times()[:2]) - cpu0) / (time.monotonic() - wall0)


def reader_process(kind: str, n: int, idle: int, present_s: float, away_s: float) -> None:
    tag = f"rc{uuid.uuid4().hex[:6]}"
    idle_outlets = [
        pylsl.StreamOutlet(pylsl.StreamInfo(f"{tag}-state{i}", "State", 4, 0, "double64",
                                            f"idle-{tag}:{i}"))
        for i in range(idle)
    ]  # fmt: skip
    back_s = 10.0
    publisher = subprocess.Popen(
        [sys.executable, __file__, "--publish", tag, "--streams", str(n), "--present",
         str(present_s), "--away", str(away_s), "--back", str(back_s)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    started = time.monotonic()
    # one stream per resolve: replies to a query that matches many outlets get lost
    infos = [pylsl.resolve_bypred(f"source_id='{tag}:{i}'", 1, 30.0)[0] for i in range(n)]
    arrivals, stop = Arrivals(n), threading.Event()
    read = read_bare if kind == "baseline" else read_emostream
    thread = threading.Thread(target=read, args=(infos, arrivals, stop), daemon=True)
    thread.start()
    time.sleep(2.0)  # subscribed
    present = cpu_pct_until(started + present_s - 0.5)
    away = None  # an outage too short to measure: only the return is reported
    if away_span_s(away_s) > 0:
        time.sleep(max(0.0, started + present_s + SETTLE_S - time.monotonic()))
        away = cpu_pct_until(started + present_s + SETTLE_S + away_span_s(away_s))
    out, _ = publisher.communicate(timeout=present_s + away_s + back_s + 120)
    stop.set()
    thread.join(timeout=30)
    back_at = json.loads(out.strip().splitlines()[-1])["back_at"]
    after = [b - back_at for b in arrivals.back if b is not None]
    print(json.dumps({
        "reader": kind,
        "streams": n,
        "idle_outlets": len(idle_outlets),
        "cpu_pct_while_present": present,
        "cpu_pct_while_away": away,
        "streams_back": len(after),
        "back_after_s_median_max": [statistics.median(after), max(after)] if after else None,
    }), flush=True)  # fmt: skip
    os._exit(0)  # liblsl's recovering threads do not hold the exit


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--streams", type=int, default=100)
    p.add_argument("--idle-outlets", type=int, default=50)
    p.add_argument("--present", type=float, default=10.0, help="seconds before they vanish")
    p.add_argument("--away", type=float, default=30.0, help="seconds they are gone")
    p.add_argument("--rounds", type=int, default=1)
    p.add_argument("--reader", choices=("baseline", "emostream"), help=argparse.SUPPRESS)
    p.add_argument("--publish", metavar="TAG", help=argparse.SUPPRESS)
    p.add_argument("--back", type=float, default=10.0, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.publish:
        return publish(args.publish, args.streams, args.present, args.away, args.back)
    if args.reader:
        return reader_process(args.reader, args.streams, args.idle_outlets, args.present,
                              args.away)  # fmt: skip
    cpu: dict[str, list[float]] = {"baseline": [], "emostream": []}
    for round_ in range(args.rounds):
        for kind in cpu:
            done = subprocess.run(
                [sys.executable, __file__, "--reader", kind, "--streams", str(args.streams),
                 "--idle-outlets", str(args.idle_outlets), "--present", str(args.present),
                 "--away", str(args.away)],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            result = json.loads(done.stdout.strip().splitlines()[-1])
            cpu[kind].append(result["cpu_pct_while_away"])
            print(json.dumps({"round": round_ + 1, **result}), flush=True)
    if away_span_s(args.away) <= 0:
        print(json.dumps({"load_average": os.getloadavg()}), flush=True)
        return
    medians = {k: statistics.median(v) for k, v in cpu.items()}
    print(json.dumps({
        "cpu_pct_while_away_median": medians,
        "ratio_emostream_to_baseline": medians["emostream"] / medians["baseline"],
        "load_average": os.getloadavg(),
    }), flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
