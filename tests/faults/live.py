"""Live LSL fault harness: real outlets with a sample-counter channel, pushed at their rate with
faults applied to their timestamps (or the outlets taken away), read back through LslSource and
a WearerPipeline with a recorder, on loopback."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from benchmarks.soak_live import Fault, Presence, Publisher
from emostream.core.chunk import Chunk
from emostream.core.events import Gap
from emostream.core.spec import StreamSpec
from emostream.pipeline.runner import Wearer, run_wearers
from emostream.pipeline.wearer import WearerPipeline, WindowResult
from emostream.sinks.base import Sink
from emostream.sinks.recorder import RecorderSink
from emostream.sources.lsl import LslQuery, LslSource
from emostream.windowing import WindowConfig


class _Collect(Sink):
    def __init__(self) -> None:
        self.chunks: dict[str, list[Chunk]] = {}
        self.gaps: list[Gap] = []
        self.last: dict[str, float] = {}
        self.changed = asyncio.Event()

    def on_chunk(self, chunk: Chunk) -> None:
        self.chunks.setdefault(chunk.spec.kind, []).append(chunk)
        self.last[chunk.spec.kind] = float(chunk.data[-1, -1])
        self.changed.set()

    def on_gap(self, gap: Gap) -> None:
        self.gaps.append(gap)


@dataclass
class LiveRun:
    collected: _Collect
    pushed: dict[str, int]
    pipeline: WearerPipeline
    sources: dict[str, LslSource]
    results: list[WindowResult] = field(default_factory=list)
    session: Path | None = None

    def counters(self, kind: str) -> np.ndarray:
        return np.concatenate([c.data[:, -1] for c in self.collected.chunks[kind]]).astype(int)

    def timestamps(self, kind: str) -> np.ndarray:
        return np.concatenate([c.timestamps for c in self.collected.chunks[kind]])

    def coverage(self, key: str) -> np.ndarray:
        return np.array([r.features.coverage.get(key, 0.0) for r in self.results])


def run_live(
    specs: list[StreamSpec],
    seconds: float,
    *,
    fault: Fault | None = None,
    presence: Presence | None = None,
    record_root: Path | None = None,
    window: WindowConfig | None = None,
    settle_s: float = 20.0,
    silent_tick_s: float = 0.2,
    irregular_hz: float = 0.1,
) -> LiveRun:
    """Push `specs` (an irregular one at `irregular_hz`) for `seconds` through real outlets;
    read them until the last sample of each has arrived (or `settle_s` passed), then stop."""
    producer = Publisher(specs, fault=fault, presence=presence, irregular_hz=irregular_hz)
    sources = {
        s.kind: LslSource(
            LslQuery(source_id=s.source_id), gap_after_s=0.3, silent_tick_s=silent_tick_s
        )
        for s in specs
    }
    collected = _Collect()
    sinks: list[Sink] = [collected]
    recorder = None
    if record_root is not None:
        recorder = RecorderSink(record_root, subject="F01", live=False, fsync=False)
        recorder.watch_sources(list(sources.values()))
        sinks.append(recorder)
    pipeline = WearerPipeline(
        window or WindowConfig(length_s=2.0, hop_s=0.5, max_lag_s=1.0),
        [s.spec for s in sources.values()],
        {},
        sinks=sinks,
    )
    run = LiveRun(collected, producer.pushed, pipeline, sources)
    wearer = Wearer(list(sources.values()), pipeline, run.results.append)

    async def scenario() -> None:
        await asyncio.gather(*(s.open() for s in sources.values()))
        stop = asyncio.Event()
        runner = asyncio.create_task(run_wearers([wearer], stop))
        await producer.run(seconds)

        async def drained() -> None:
            while any(collected.last.get(k, -1) < n - 1 for k, n in producer.pushed.items()):
                collected.changed.clear()
                await collected.changed.wait()

        try:  # what never arrives shows in the caller's counter checks
            await asyncio.wait_for(drained(), settle_s)
        except TimeoutError:
            pass
        finally:
            stop.set()
            await runner

    if recorder is not None:
        recorder.open(None)
    try:
        asyncio.run(scenario())
    finally:
        if recorder is not None:
            recorder.close()
            run.session = recorder.path
    return run
