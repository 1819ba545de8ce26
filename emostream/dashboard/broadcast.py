"""Fan-out of messages to browser clients, each with a bounded queue; slow clients are dropped.

Runs on the web server's event loop. `publish` never waits: a client whose queue is full is
dropped (its sender is told to close the connection; the page reconnects and starts over
from a fresh snapshot), so a stalled or closed tab costs at most `max_queued` messages.
"""

from __future__ import annotations

import asyncio
import contextlib

#: what a dropped client's sender receives instead of a message
DROPPED = None


class Broadcaster:
    """The clients currently connected, and how many were dropped for being slow."""

    def __init__(self, max_queued: int = 8):
        self.max_queued = max_queued
        self._clients: set[asyncio.Queue[str | None]] = set()
        self.n_dropped = 0

    def __len__(self) -> int:
        return len(self._clients)

    def join(self, first: str | None = None) -> asyncio.Queue[str | None]:
        """A new client's queue, holding `first` (its catch-up snapshot) when given."""
        queue: asyncio.Queue[str | None] = asyncio.Queue(self.max_queued)
        if first is not None:
            queue.put_nowait(first)
        self._clients.add(queue)
        return queue

    def leave(self, queue: asyncio.Queue[str | None]) -> None:
        self._clients.discard(queue)

    def publish(self, message: str) -> None:
        """Queue `message` for every client; drop each client whose queue is full."""
        for queue in list(self._clients):
            try:
                queue.put_nowait(message)
            except asyncio.QueueFull:
                self._drop(queue)

    def close_all(self) -> None:
        for queue in list(self._clients):
            self._drop(queue, count=False)

    def _drop(self, queue: asyncio.Queue[str | None], count: bool = True) -> None:
        self._clients.discard(queue)
        self.n_dropped += count
        while not queue.empty():  # free the backlog, then wake the sender
            queue.get_nowait()
        with contextlib.suppress(asyncio.QueueFull):
            queue.put_nowait(DROPPED)
