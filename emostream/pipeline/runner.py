"""The asyncio runtime: one task per source, one consumer per wearer, bounded queues between.

Acquisition never waits on processing for long: each source task only enqueues events;
when a wearer's queue is full the source awaits (LSL and BLE buffers absorb the burst),
and the number of such stalls is counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from emostream.core.events import SourceEvent
from emostream.pipeline.wearer import WearerPipeline, WindowResult
from emostream.sources.base import Source

log = logging.getLogger(__name__)

QUEUE_EVENTS = 4096
_END = object()  # a source has ended
_STOP = object()  # the run has stopped: no event follows


@dataclass(slots=True)
class RunStats:
    n_events: int = 0
    n_queue_stalls: int = 0
    source_errors: list[str] = field(default_factory=list)


@dataclass
class Wearer:
    """A wearer's sources and pipeline, plus a callback for each processed window."""

    sources: Sequence[Source]
    pipeline: WearerPipeline
    on_result: Callable[[WindowResult], None] | None = None
    stats: RunStats = field(default_factory=RunStats)


async def _pump(
    source: Source, queue: asyncio.Queue, stats: RunStats, held: list[SourceEvent]
) -> None:
    """Enqueue the source's events; one still waiting for room when the run stops is kept in
    `held`."""
    try:
        async for event in source.events():
            if queue.full():
                stats.n_queue_stalls += 1
            try:
                await queue.put(event)
            except asyncio.CancelledError:
                held.append(event)
                raise
    except Exception as exc:  # a source failing must not take the other sources down
        log.error("source %s stopped: %s", type(source).__name__, exc)
        stats.source_errors.append(f"{type(source).__name__}: {exc}")
    # Not on cancellation: the run is ending, and the queue may be full.
    await queue.put(_END)


def _hand_on(wearer: Wearer, results: list[WindowResult]) -> None:
    if wearer.on_result is not None:
        for result in results:
            wearer.on_result(result)


async def _consume(wearer: Wearer, queue: asyncio.Queue, n_sources: int) -> None:
    """Process the wearer's events until its sources end or the run stops, then finish its
    session as a recording ends (its last windows, and the markers after them, are learned)."""
    ended = 0
    while ended < n_sources:
        event: SourceEvent | object = await queue.get()
        if event is _STOP:
            break
        if event is _END:
            ended += 1
            continue
        wearer.stats.n_events += 1
        _hand_on(wearer, wearer.pipeline.push(event))  # type: ignore[arg-type]
    _hand_on(wearer, wearer.pipeline.finish())


@dataclass
class _Lane:
    """A wearer's queue, the events held back from it at a stop, and the task consuming it."""

    queue: asyncio.Queue
    held: list[SourceEvent]
    consumer: asyncio.Task

    async def stop(self) -> None:
        """Hand the consumer the held events, then the stop, behind what it received before."""
        for event in self.held:
            await self.queue.put(event)
        await self.queue.put(_STOP)


async def run_wearers(wearers: Sequence[Wearer], stop: asyncio.Event | None = None) -> None:
    """Run until every source is exhausted, or until `stop` is set. At a stop, each wearer
    still running processes the events it has received and finishes its session."""
    tasks: list[asyncio.Task] = []
    lanes: list[_Lane] = []
    for wearer in wearers:
        queue: asyncio.Queue = asyncio.Queue(maxsize=QUEUE_EVENTS)
        held: list[SourceEvent] = []
        for source in wearer.sources:
            tasks.append(asyncio.create_task(_pump(source, queue, wearer.stats, held)))
        n_ending = sum(not source.ends_with_others for source in wearer.sources)
        lanes.append(_Lane(queue, held, asyncio.create_task(_consume(wearer, queue, n_ending))))
    consumers = [lane.consumer for lane in lanes]
    waiter = asyncio.create_task(stop.wait()) if stop is not None else None
    stopped = False
    try:
        pending = {*consumers} | ({waiter} if waiter else set())
        while consumers and not all(c.done() for c in consumers):
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            if waiter is not None and waiter in done:
                stopped = True
                break
        for consumer in consumers:
            if consumer.done() and consumer.exception() is not None:
                raise consumer.exception()  # type: ignore[misc]
    finally:
        for wearer in wearers:
            for source in wearer.sources:
                with contextlib.suppress(Exception):
                    await source.aclose()
        for task in [*tasks, *([waiter] if waiter else [])]:
            task.cancel()
        await asyncio.gather(*tasks, *([waiter] if waiter else []), return_exceptions=True)
        running = [lane for lane in lanes if not lane.consumer.done()]
        for lane in running:
            if stopped:
                await lane.stop()
            else:
                lane.consumer.cancel()
        await asyncio.gather(*(lane.consumer for lane in running), return_exceptions=not stopped)
