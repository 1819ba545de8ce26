"""LSL ingest + windowing throughput, against a bare pylsl pull loop in the same run.

An outlet is filled with N samples (8 channels, float32) while an inlet is subscribed; once
the inlet holds them all, each consumer drains it as fast as it can:
  baseline : pylsl.StreamInlet.pull_chunk(as_numpy=True) in a loop, data discarded;
  emostream: LslSource (clock correction, validation into Chunks) -> Windower.push/pop_ready
             (10 s windows, 1 s hop) until every sample is windowed.
Prints samples/s for both and their ratio.   Usage: python benchmarks/ingest.py [N]
"""

from __future__ import annotations

import asyncio
import os
import platform
import sys
import tempfile
import time
import uuid

_cfg = os.path.join(tempfile.mkdtemp(), "lsl_api.cfg")
with open(_cfg, "w") as fh:
    fh.write(f"[multicast]\nResolveScope = machine\n[lab]\nSessionID = bench-{uuid.uuid4().hex}\n")
os.environ["LSLAPICFG"] = _cfg

import numpy as np  # noqa: E402
import pylsl  # noqa: E402

from emostream.core.chunk import Chunk  # noqa: E402
from emostream.core.spec import StreamSpec  # noqa: E402
from emostream.sinks.lsl import StreamOutlets  # noqa: E402
from emostream.sources.lsl import LslQuery, LslSource  # noqa: E402
from emostream.windowing import WindowConfig, Windower  # noqa: E402

RATE_HZ = 2000.0
CHANNELS = 8


def fill(outlets: StreamOutlets, spec: StreamSpec, n: int, inlet: pylsl.StreamInlet) -> None:
    """Push n samples and wait until the inlet holds them all, so only draining is timed."""
    t0 = pylsl.local_clock()
    data = np.random.default_rng(0).standard_normal((n, CHANNELS)).astype(np.float32)
    for lo in range(0, n, 20_000):
        hi = min(n, lo + 20_000)
        outlets.push(Chunk(spec, t0 + np.arange(lo, hi) / RATE_HZ, data[lo:hi]))
    deadline = time.monotonic() + 120
    while inlet.samples_available() < n and time.monotonic() < deadline:
        time.sleep(0.05)


def bench_baseline(spec: StreamSpec, n: int) -> float:
    outlets = StreamOutlets([spec])
    inlet = pylsl.StreamInlet(
        pylsl.resolve_byprop("source_id", spec.source_id, 1, 5)[0], max_buflen=400
    )
    inlet.open_stream(5.0)
    fill(outlets, spec, n, inlet)
    got = 0
    start = time.perf_counter()
    while got < n:
        _, ts = inlet.pull_chunk(timeout=1.0, max_samples=8192, min_samples=1, as_numpy=True)
        got += len(ts)
    return n / (time.perf_counter() - start)


async def bench_emostream(spec: StreamSpec, n: int) -> tuple[float, int]:
    outlets = StreamOutlets([spec])
    source = LslSource(LslQuery(source_id=spec.source_id), max_chunk=8192, clock_refresh_s=1e9)
    await source.open()
    fill(outlets, spec, n, source._inlet)
    windower = Windower(WindowConfig(length_s=10.0, hop_s=1.0))
    windower.add_stream(source.spec)
    got = n_windows = 0
    start = time.perf_counter()
    async for chunk in source.events():
        windower.push(chunk)  # type: ignore[arg-type]
        n_windows += len(windower.pop_ready())
        got += len(chunk)  # type: ignore[arg-type]
        if got >= n:
            break
    elapsed = time.perf_counter() - start
    await source.aclose()
    return n / elapsed, n_windows


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 600_000
    make = lambda tag: StreamSpec(  # noqa: E731
        "EEG", f"bench-{tag}", tuple(f"ch{i}" for i in range(CHANNELS)), ("microvolts",) * CHANNELS,
        RATE_HZ, f"bench-{tag}-{uuid.uuid4().hex[:6]}",
    )  # fmt: skip
    base = bench_baseline(make("base"), n)
    ours, n_windows = asyncio.run(bench_emostream(make("ours"), n))
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"pylsl {pylsl.__version__}")  # fmt: skip
    print(f"samples: {n} x {CHANNELS} ch @ {RATE_HZ:g} Hz nominal ({n / RATE_HZ:.0f} s of data)")
    print(f"baseline  bare pylsl pull loop      : {base:12,.0f} samples/s")
    print(f"emostream LslSource + Windower      : {ours:12,.0f} samples/s ({n_windows} windows)")
    print(f"ratio emostream / baseline          : {ours / base:.2f}")
    print(f"emostream x real time at {RATE_HZ:g} Hz  : {ours / RATE_HZ:,.0f}x")


if __name__ == "__main__":
    main()
