"""Test harness for BLE drivers: a pump from driver to LSL outlets and a plain pylsl inlet."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import numpy as np
import pylsl

from emostream.core.chunk import Chunk
from emostream.core.events import Gap, SourceEvent
from emostream.sinks.lsl import StreamOutlets
from emostream.sources.base import Source


def run(coro, timeout_s: float = 60.0):
    """Run one async test body with an overall bound."""

    async def bounded():
        async with asyncio.timeout(timeout_s):
            return await coro

    return asyncio.run(bounded())


@dataclass
class Pump:
    """Feeds a driver's chunks into LSL outlets and keeps every event it saw."""

    driver: Source
    outlets: StreamOutlets
    events: list[SourceEvent] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self) -> None:
        async for event in self.driver.events():
            self.events.append(event)
            if isinstance(event, Chunk):
                self.outlets.push(event)
            self.changed.set()

    async def until(self, condition: Callable[[], bool], timeout_s: float = 20.0) -> None:
        """Wait (bounded) until `condition()` holds after some event."""
        async with asyncio.timeout(timeout_s):
            while not condition():
                self.changed.clear()
                await self.changed.wait()

    def chunks(self, kind: str) -> list[Chunk]:
        return [e for e in self.events if isinstance(e, Chunk) and e.spec.kind == kind]

    def gaps(self) -> list[Gap]:
        return [e for e in self.events if isinstance(e, Gap)]

    def markers(self) -> list[str]:
        return [str(e.data[0, 0]) for e in self.chunks("Markers")]


@contextlib.asynccontextmanager
async def pumping(driver: Source) -> AsyncIterator[Pump]:
    outlets = StreamOutlets(driver.specs, manufacturer="test")
    pump = Pump(driver, outlets)
    task = asyncio.create_task(pump.run())
    try:
        yield pump
    finally:
        await driver.aclose()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        outlets.close()


class Inlet:
    """A plain pylsl inlet (resolved by source_id) that accumulates what it pulls."""

    def __init__(self, source_id: str) -> None:
        self.source_id = source_id
        self.inlet: pylsl.StreamInlet | None = None
        self.timestamps: list[float] = []
        self.rows: list[list[float]] = []

    async def open(self) -> None:
        found = await asyncio.to_thread(pylsl.resolve_byprop, "source_id", self.source_id, 1, 10.0)
        assert found, f"no LSL stream with source_id {self.source_id}"
        self.inlet = pylsl.StreamInlet(found[0], max_buflen=60, recover=True)
        await asyncio.to_thread(self.inlet.open_stream, 10.0)

    def pull(self) -> int:
        assert self.inlet is not None
        data, ts = self.inlet.pull_chunk(timeout=0.0, max_samples=4096)
        self.rows += data
        self.timestamps += ts
        return len(ts)

    async def until(self, n: int, timeout_s: float = 20.0) -> None:
        async with asyncio.timeout(timeout_s):
            while len(self.timestamps) < n:
                if not self.pull():
                    await asyncio.sleep(0.02)

    @property
    def data(self) -> np.ndarray:
        return np.asarray(self.rows, dtype=np.float64)

    @property
    def ts(self) -> np.ndarray:
        return np.asarray(self.timestamps, dtype=np.float64)
