"""Tally of the chunks a source hands on, per stream: checks that stamps stay finite and
strictly increasing across chunks, and counts the samples received."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from emostream.core.chunk import Chunk


class StampedChunks:
    def __init__(self) -> None:
        self.last_s: dict[str, float] = defaultdict(lambda: -np.inf)
        self.n_received: dict[str, int] = defaultdict(int)

    def add(self, stream: str, chunk: Chunk) -> None:
        assert np.all(np.isfinite(chunk.timestamps))
        assert chunk.timestamps[0] > self.last_s[stream]
        assert np.all(np.diff(chunk.timestamps) > 0)
        self.last_s[stream] = chunk.timestamps[-1]
        self.n_received[stream] += len(chunk)
