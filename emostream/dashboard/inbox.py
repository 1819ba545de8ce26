"""Markers typed in the browser (operator events, wearer self-reports) as a pipeline Source.

The web server's thread hands each marker over with `loop.call_soon_threadsafe`; the source
yields it as a chunk of a Markers stream, so it takes the same path as any marker from a device
or an LSL outlet: the windower, the model's label grammar, the recorder. With `publish`, each
marker is also pushed to an LSL Markers outlet as it enters the pipeline.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from emostream.core.chunk import Chunk
from emostream.core.events import SourceEvent
from emostream.core.spec import StreamSpec, markers_spec
from emostream.sinks.lsl import StreamOutlets
from emostream.sources.base import Source

#: markers waiting to enter the pipeline; beyond this a write is refused
MAX_WAITING = 256


class InboxUnavailable(RuntimeError):
    """The pipeline is not running (not started yet, or ended), or too many markers wait."""


class MarkerInbox(Source):
    """A Markers stream fed from another thread; ends when the wearer's other sources end."""

    ends_with_others = True

    def __init__(self, name: str, source_id: str, *, publish: bool = False):
        self.spec: StreamSpec = markers_spec(name, source_id)
        self._publish = publish
        self._outlets: StreamOutlets | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue[tuple[float, str]] = asyncio.Queue()
        self.n_markers = 0

    @property
    def specs(self) -> tuple[StreamSpec, ...]:
        return (self.spec,)

    def put_threadsafe(self, t_s: float, marker: str) -> None:
        """Hand a marker to the pipeline's event loop (from any thread)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            raise InboxUnavailable("the pipeline is not running")
        if self._queue.qsize() >= MAX_WAITING:
            raise InboxUnavailable(f"{MAX_WAITING} markers are waiting; try again")
        loop.call_soon_threadsafe(self._queue.put_nowait, (t_s, marker))

    async def events(self) -> AsyncIterator[SourceEvent]:
        self._loop = asyncio.get_running_loop()
        if self._publish and self._outlets is None:
            self._outlets = StreamOutlets([self.spec], model="console")
        try:
            while True:
                t_s, marker = await self._queue.get()
                chunk = Chunk.from_arrays(self.spec, [t_s], [[marker]])
                if self._outlets is not None:
                    self._outlets.push(chunk)
                self.n_markers += 1
                yield chunk
        finally:
            self._loop = None

    async def aclose(self) -> None:
        if self._outlets is not None:
            self._outlets.close()
            self._outlets = None
