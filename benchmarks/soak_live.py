"""Live soak with injected faults: a multi-stream LSL session, paced and sped up.

Outlets for ECG (130 Hz), EDA (4 Hz), RSP (25 Hz) and markers (one per 10 s) carry a sample
counter; they are published `--speed` times faster than real time for `--minutes` of stream
time and read by `LslSource`s into a wearer pipeline with a recorder. Every `--every`
stream-seconds one fault is injected, in turn: an outlet restart (ECG gone for 20 s), a NaN
burst (5 s of ECG timestamps), a timestamp spike (one ECG sample 10^6 s ahead), a lasting
clock step (EDA's sender clock 1 h back), malformed markers (non-finite timestamps, empty and
non-UTF-8 text) and a slow disk (the recorder's flushes stall 0.5 s each for 30 s).

Reports, per stream: samples pushed / received / lost outside the faults (goal 0) / lost
inside them; windows expected / produced / skipped; the recorder's dropped samples and what
the session holds; the recovery time of each fault (from its end, in wall seconds, until the
first sample sent after it arrived; the median latency of all samples is the baseline); and
process RSS (ratio at the end of the stream / after the first quarter, a baseline measured in
the same run; every 5 stream-minutes in `rss_trace_mb`).

    .venv/bin/python benchmarks/soak_live.py --minutes 60 --speed 20
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pylsl

from emostream.core.chunk import Chunk
from emostream.core.clock import lsl_now_s
from emostream.core.lslinfo import spec_to_info
from emostream.core.spec import StreamSpec, markers_spec
from emostream.formats import session as session_format
from emostream.formats.session.writer import SessionFiles
from emostream.pipeline.runner import Wearer, run_wearers
from emostream.pipeline.wearer import WearerPipeline
from emostream.sinks.base import Sink
from emostream.sinks.recorder import RecorderSink
from emostream.sources.lsl import LslQuery, LslSource
from emostream.windowing import WindowConfig

sys.path.insert(0, str(Path(__file__).resolve().parent))
from procfs import rss_mb

#: (kind, counters, timestamps, stream seconds since start) -> timestamps to push
Fault = Callable[[str, np.ndarray, np.ndarray, float], np.ndarray]
#: (kind, stream seconds since start) -> whether the outlet is up
Presence = Callable[[str, float], bool]
STEP_S = 0.05


def counter_spec(name: str, kind: str, rate_hz: float, n_signal: int = 1) -> StreamSpec:
    """A stream whose last channel counts samples, so loss and duplication show."""
    labels = (*(f"{kind}{i}" for i in range(n_signal)), "counter")
    return StreamSpec(
        kind, f"{name}-{kind}", labels, ("",) * n_signal + ("count",), rate_hz, f"{name}:{kind}"
    )


class Publisher:
    """Pushes counter streams through real outlets, each sample stamped with its sampling
    time on a clock that runs `speed` times faster than the LSL clock from `t0` (an irregular
    stream at `irregular_hz`). `fault` rewrites timestamps; `presence` takes outlets away (no
    samples are due while away)."""

    def __init__(
        self,
        specs: list[StreamSpec],
        *,
        speed: float = 1.0,
        fault: Fault | None = None,
        presence: Presence | None = None,
        irregular_hz: float = 0.1,
    ) -> None:
        self.specs = specs
        self.speed = speed
        self.irregular_hz = irregular_hz
        self.fault = fault
        self.presence = presence
        self.outlets: dict[str, pylsl.StreamOutlet | None] = {
            s.kind: pylsl.StreamOutlet(spec_to_info(s)) for s in specs
        }
        self.pushed = {s.kind: 0 for s in specs}
        self.due = {s.kind: 0 for s in specs}  # sample number (in stream time) due next
        #: per stream: (first counter, wall time pushed, stream time) of each push
        self.log: dict[str, list[tuple[int, float, float]]] = {s.kind: [] for s in specs}
        self.t0 = 0.0

    async def run(self, seconds: float, tick: Callable[[float], None] | None = None) -> None:
        """Publish `seconds` of stream time; `tick(stream_s)` runs before every step."""
        self.t0 = lsl_now_s()
        while (elapsed := (lsl_now_s() - self.t0) * self.speed) < seconds:
            if tick is not None:
                tick(elapsed)
            for spec in self.specs:
                self._step(spec, elapsed)
            await asyncio.sleep(STEP_S)
        for spec in self.specs:
            if self.outlets[spec.kind] is None:
                self.outlets[spec.kind] = pylsl.StreamOutlet(spec_to_info(spec))

    def _step(self, spec: StreamSpec, elapsed: float) -> None:
        kind = spec.kind
        rate = spec.rate_hz if spec.rate_hz > 0 else self.irregular_hz
        target = int(elapsed * rate)
        if not (self.presence is None or self.presence(kind, elapsed)):
            if self.outlets[kind] is not None:
                self.outlets[kind] = None
                gc.collect()
            self.due[kind] = target  # not sampled while the device is away
            return
        if self.outlets[kind] is None:
            self.outlets[kind] = pylsl.StreamOutlet(spec_to_info(spec))
        if target <= self.due[kind]:
            return
        ts = self.t0 + np.arange(self.due[kind], target) / rate
        n = target - self.due[kind]
        self.due[kind] = target
        counters = np.arange(self.pushed[kind], self.pushed[kind] + n)
        if self.fault is not None:
            ts = self.fault(kind, counters, ts, elapsed)
        if spec.is_markers:
            data: list | np.ndarray = [[f"m{k}"] for k in counters]
            if self.fault is not None:
                data = [[text] for text in malformed_text(counters, ts)]
        else:
            data = np.zeros((n, spec.n_channels), dtype=np.float32)
            data[:, :-1] = np.sin(counters / 7.0)[:, None]
            data[:, -1] = counters
        self.outlets[kind].push_chunk(data, ts.tolist())
        self.log[kind].append((int(counters[0]), time.monotonic(), elapsed))
        self.pushed[kind] += n


def malformed_text(counters: np.ndarray, ts: np.ndarray) -> list[str]:
    """Marker texts: `m<k>`, or, where the timestamp was made non-finite, empty text or a
    10 kB string of control characters."""
    bad = ("", "\x00\x1b[31m" + "\x07" * 10_000)
    return [f"m{k}" if np.isfinite(t) else bad[k % 2] for k, t in zip(counters, ts, strict=True)]


@dataclass
class Injected:
    kind: str
    stream: str
    start_s: float
    end_s: float
    recovery_s: float | None = None


def schedule(minutes: float, every_s: float) -> list[Injected]:
    """One fault every `every_s` stream-seconds, in turn, from `every_s` on."""
    cycle = [
        ("outlet restart", "ECG", 20.0),
        ("NaN burst", "ECG", 5.0),
        ("timestamp spike", "ECG", 0.05),
        ("clock step back 1 h", "EDA", 0.0),
        ("malformed markers", "Markers", 30.0),
        ("slow disk", "all", 30.0),
    ]
    out = []
    t = every_s
    while t + 60.0 < minutes * 60.0:
        kind, stream, length = cycle[len(out) % len(cycle)]
        out.append(Injected(kind, stream, t, t + length))
        t += every_s
    return out


class _Received(Sink):
    """How often each sample number arrived, and when it first did, per stream kind, in
    arrays allocated up front (so that the bookkeeping does not grow the process)."""

    def __init__(self, capacity: dict[str, int]) -> None:
        self.count = {kind: np.zeros(n, dtype=np.int32) for kind, n in capacity.items()}
        self.first_wall = {kind: np.full(n, np.nan) for kind, n in capacity.items()}
        self.last = dict.fromkeys(capacity, -1)

    def on_chunk(self, chunk: Chunk) -> None:
        kind = chunk.spec.kind
        if chunk.spec.is_markers:
            texts = [str(v) for v in chunk.data[:, 0]]
            numbers = [int(t[1:]) for t in texts if t.startswith("m") and t[1:].isdigit()]
            counters = np.asarray(numbers, dtype=np.int64)
        else:
            counters = chunk.data[:, -1].astype(np.int64)
        if not counters.size:
            return
        np.add.at(self.count[kind], counters, 1)
        wall = self.first_wall[kind]
        fresh = counters[np.isnan(wall[counters])]
        wall[fresh] = time.monotonic()
        self.last[kind] = max(self.last[kind], int(counters[-1]))


@dataclass
class SoakResult:
    stream_minutes: float
    speed: float
    streams: dict[str, dict[str, int]] = field(default_factory=dict)
    windows_expected: int = 0
    windows_produced: int = 0
    windows_skipped: int = 0
    recorder_dropped_samples: int = 0
    recorded_samples: dict[str, int] = field(default_factory=dict)
    timestamp_checks: dict[str, dict[str, int]] = field(default_factory=dict)
    faults: list[dict[str, object]] = field(default_factory=list)
    latency_median_s: float = 0.0
    rss_quarter_mb: float = 0.0
    rss_end_mb: float = 0.0
    rss_growth_ratio: float = 0.0
    #: RSS every 5 stream-minutes
    rss_trace_mb: list[float] = field(default_factory=list)


def soak(minutes: float, speed: float, every_s: float, root: Path) -> SoakResult:
    name = f"soak-{uuid.uuid4().hex[:6]}"
    specs = [
        counter_spec(name, "ECG", 130.0),
        counter_spec(name, "EDA", 4.0),
        counter_spec(name, "RSP", 25.0),
        markers_spec(f"{name}-Markers", f"{name}:Markers"),
    ]
    faults = schedule(minutes, every_s)
    active = lambda kind, s, t: any(  # noqa: E731
        f.kind == kind and f.stream == s and f.start_s <= t < f.end_s for f in faults
    )
    nan_ecg = [f for f in faults if f.kind == "NaN burst"]
    spikes = [f for f in faults if f.kind == "timestamp spike"]
    steps = [f for f in faults if f.kind.startswith("clock step")]

    def fault(kind: str, counters: np.ndarray, ts: np.ndarray, t_s: float) -> np.ndarray:
        stream_t = (ts - publisher.t0) if kind != "Markers" else np.full(ts.shape, t_s)
        out = ts.copy()
        if kind == "ECG":
            for f in nan_ecg:
                out[(stream_t >= f.start_s) & (stream_t < f.end_s)] = np.nan
            for f in spikes:
                out[(stream_t >= f.start_s) & (stream_t < f.end_s)] += 1e6
        if kind == "EDA":
            for f in steps:
                out[stream_t >= f.start_s] -= 3600.0
        if kind == "Markers" and active("malformed markers", "Markers", t_s):
            out[counters % 3 == 0] = np.nan
        return out

    publisher = Publisher(
        specs,
        speed=speed,
        fault=fault,
        presence=lambda kind, t: not active("outlet restart", kind, t),
    )
    slow = {"on": False}
    plain_flush = SessionFiles.flush

    def slow_flush(files: SessionFiles) -> None:  # the disk stalls on each flush
        if slow["on"]:
            time.sleep(0.5)
        plain_flush(files)

    SessionFiles.flush = slow_flush  # type: ignore[method-assign]
    sources = [LslSource(LslQuery(source_id=s.source_id), gap_after_s=1.0) for s in specs]
    received = _Received(
        {s.kind: int(minutes * 60.0 * max(s.rate_hz, 0.1) * 1.1) + 1000 for s in specs}
    )
    recorder = RecorderSink(root, subject="soak", live=False, fsync=False)
    recorder.watch_sources(sources)
    window = WindowConfig(length_s=60.0, hop_s=1.0, max_lag_s=3.0 * speed)
    pipeline = WearerPipeline(window, [s.spec for s in sources], {}, sinks=[received, recorder])
    n_windows = [0]
    wearer = Wearer(sources, pipeline, lambda _r: n_windows.__setitem__(0, n_windows[0] + 1))
    result = SoakResult(minutes, speed)

    def tick(t_s: float) -> None:
        slow["on"] = active("slow disk", "all", t_s)
        if not result.rss_quarter_mb and t_s >= minutes * 15.0:
            result.rss_quarter_mb = rss_mb(os.getpid())
        if t_s >= 300.0 * len(result.rss_trace_mb):
            result.rss_trace_mb.append(round(rss_mb(os.getpid()), 1))

    async def run() -> None:
        await asyncio.gather(*(s.open() for s in sources))
        stop = asyncio.Event()
        runner = asyncio.create_task(run_wearers([wearer], stop))
        await publisher.run(minutes * 60.0, tick)
        # before the recorder finalises the session to Parquet
        result.rss_end_mb = rss_mb(os.getpid())
        deadline = time.monotonic() + 30.0
        while time.monotonic() < deadline and any(
            received.last[k] < n - 1 for k, n in publisher.pushed.items() if k != "Markers"
        ):
            await asyncio.sleep(0.1)
        stop.set()
        await runner

    recorder.open(None)
    try:
        asyncio.run(run())
    finally:
        recorder.close()
        SessionFiles.flush = plain_flush  # type: ignore[method-assign]
    result.rss_growth_ratio = result.rss_end_mb / result.rss_quarter_mb
    _account(result, publisher, received, faults, specs)
    result.windows_produced = n_windows[0]
    result.windows_skipped = pipeline.windower.n_windows_skipped
    result.windows_expected = int(minutes * 60.0 - window.length_s) + 1
    result.recorder_dropped_samples = recorder.n_dropped_samples
    assert recorder.path is not None
    recorded = session_format.read(recorder.path, partial=True)
    result.recorded_samples = {k: len(s.timestamps) for k, s in recorded.streams.items()}
    result.timestamp_checks = {
        sid: asdict(st) for src in sources for sid, st in src.timestamp_stats().items()
    }
    return result


def _account(
    result: SoakResult,
    publisher: Publisher,
    received: _Received,
    faults: list[Injected],
    specs: list[StreamSpec],
) -> None:
    """Lost samples inside and outside the faults, latency, and each fault's recovery."""
    latencies = []
    for spec in specs:
        kind = spec.kind
        n = publisher.pushed[kind]
        count = received.count[kind][:n]
        arrived = received.first_wall[kind]
        log = publisher.log[kind]
        firsts = np.array([c for c, _, _ in log])
        stream_t = np.array([t for _, _, t in log])
        pushed_wall = np.array([w for _, w, _ in log])
        ok = ~np.isnan(arrived[firsts])
        latencies.append(arrived[firsts[ok]] - pushed_wall[ok])
        mine = [f for f in faults if f.stream == kind or (f.stream == "all" and kind == "ECG")]
        for f in mine:
            after = np.flatnonzero(stream_t >= f.end_s)
            hits = after[ok[after]]
            if hits.size:
                end_wall = pushed_wall[after[0]] - (stream_t[after[0]] - f.end_s) / publisher.speed
                f.recovery_s = float(arrived[firsts[hits[0]]] - end_wall)
        missing = np.flatnonzero(count == 0)
        # a missing sample's push: the last push starting at or before it
        push_of = np.searchsorted(firsts, missing, side="right") - 1
        t_missing = stream_t[push_of] if missing.size else np.zeros(0)
        in_fault = np.zeros(missing.shape, dtype=bool)
        for f in faults:
            if f.stream in (kind, "all"):
                # the fault, its recovery, and one publishing step of stream time
                until_s = (
                    f.end_s + (f.recovery_s or 0.0) * publisher.speed + STEP_S * publisher.speed
                )
                in_fault |= (t_missing >= f.start_s) & (t_missing < until_s)
        result.streams[kind] = {
            "pushed": n,
            "received": int(np.count_nonzero(count)),
            "duplicated": int(np.sum(np.maximum(count - 1, 0))),
            "lost_in_faults": int(in_fault.sum()),
            "lost_outside_faults": int((~in_fault).sum()),
        }
    all_latencies = np.concatenate(latencies)
    result.latency_median_s = float(np.median(all_latencies))
    result.faults = [asdict(f) for f in faults]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=60.0, help="stream minutes")
    parser.add_argument("--speed", type=float, default=20.0, help="multiple of real time")
    parser.add_argument("--every", type=float, default=240.0, help="stream seconds per fault")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="emostream-soak-") as root:
        result = soak(args.minutes, args.speed, args.every, Path(root))
    print(json.dumps(asdict(result), indent=2, default=float))


if __name__ == "__main__":
    main()
