"""The synthetic wearer as a Source: paced to a virtual clock, or generated as fast as possible."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator
from dataclasses import replace

import numpy as np

from emostream.core.chunk import Chunk
from emostream.core.events import SourceEvent
from emostream.core.spec import StreamSpec, for_wearer
from emostream.errors import ConfigError
from emostream.profiles import DeviceProfile, load_profile
from emostream.sources.base import Source
from emostream.synth.physiology import make_timeline
from emostream.synth.protocol import Protocol
from emostream.synth.streams import renderer_for
from emostream.synth.text import text_stream

PROFILE_NAME = "synthetic-wearer"
COUNTER_CHANNEL = "counter"


def phase_markers(protocol: Protocol, total_s: float) -> list[tuple[float, str]]:
    """`phase:<name>:start` / `phase:<name>:end` markers at the protocol's boundaries."""
    out: list[tuple[float, str]] = []
    for name, start, end in protocol.boundaries(total_s):
        out.append((start, f"phase:{name}:start"))
        out.append((end, f"phase:{name}:end"))
    return out


class SyntheticWearerSource(Source):
    """Renders the synthetic wearer in chunks of `chunk_s` seconds of data.

    `speed=None` yields as fast as the consumer takes chunks; `speed=X` paces chunks against
    target wall times (X times real time) without drift. Timestamps are `t0_s` plus the
    session time; pass the LSL clock's now as `t0_s` for live publishing. With
    `counter_channel`, every numeric stream gets a last "counter" channel holding the sample
    index, so that consumers can detect lost or duplicated samples. With `slot` (`w01`), the
    streams are one wearer's of many published at once (see `for_wearer`).
    """

    def __init__(
        self,
        *,
        seed: int = 1,
        duration_s: float | None = None,
        protocol: Protocol | None = None,
        speed: float | None = None,
        t0_s: float = 0.0,
        chunk_s: float = 0.1,
        counter_channel: bool = False,
        profile: DeviceProfile | None = None,
        kinds: tuple[str, ...] | None = None,
        slot: str = "",
    ):
        if speed is not None and speed <= 0:
            raise ConfigError(f"speed must be > 0, got {speed}", key="speed")
        self.protocol = protocol or Protocol()
        self.duration_s = float(duration_s if duration_s is not None else self.protocol.duration_s)
        if self.duration_s <= 0:
            raise ConfigError("duration must be > 0 seconds", key="duration_s")
        self.seed = seed
        self.speed = speed
        self.t0_s = t0_s
        self.chunk_s = chunk_s
        self.profile = profile or load_profile(PROFILE_NAME)
        specs = self.profile.stream_specs(f"seed{seed}")
        if kinds is not None:
            specs = tuple(s for s in specs if s.kind in kinds)
        if counter_channel:
            specs = tuple(_with_counter(s) for s in specs)
        if slot:
            specs = tuple(for_wearer(s, slot) for s in specs)
        self._specs = specs
        self._closed = False

    @property
    def specs(self) -> tuple[StreamSpec, ...]:
        return self._specs

    async def events(self) -> AsyncIterator[SourceEvent]:
        timeline = make_timeline(self.protocol, self.duration_s, self.seed)
        numeric = [s for s in self._specs if not s.is_markers]
        renderers = {
            s.source_id: renderer_for(timeline, s.kind, s.rate_hz, self.seed) for s in numeric
        }
        # string streams: (spec, [(t_s, row)]) sent once their time has come
        timed: list[tuple[StreamSpec, list[tuple[float, list[str]]]]] = []
        for spec in self._specs:
            if spec.is_text:
                t_s, texts = text_stream(timeline, self.seed)
                timed.append((spec, [(t, [x]) for t, x in zip(t_s.tolist(), texts, strict=True)]))
            elif spec.is_event_markers:
                markers = phase_markers(self.protocol, self.duration_s)
                timed.append((spec, [(t, [m]) for t, m in markers]))
        next_due = [0] * len(timed)
        wall_start = time.monotonic()
        n_ticks = int(np.ceil(self.duration_s / self.chunk_s))
        for tick in range(1, n_ticks + 1):
            if self._closed:
                return
            t_tick = min(tick * self.chunk_s, self.duration_s)
            if self.speed is not None:
                delay = wall_start + t_tick / self.speed - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            elif tick % 16 == 0:
                await asyncio.sleep(0)  # let other tasks run between bursts
            for spec in numeric:
                renderer = renderers[spec.source_id]
                first = renderer.n_rendered
                n = int(np.ceil(t_tick * spec.rate_hz - 1e-9)) - first
                if n <= 0:
                    continue
                t_s, values = renderer.render(n)
                if spec.channels[-1] == COUNTER_CHANNEL:
                    values = np.column_stack(
                        (values, np.arange(first, first + n, dtype=np.float64))
                    )
                yield Chunk(spec, self.t0_s + t_s, values.astype(np.float32))
            # the last tick sends what is left: the end of the last phase, at the session's end
            due_before_s = t_tick if tick < n_ticks else math.inf
            for k, (spec, events) in enumerate(timed):
                first = next_due[k]
                while next_due[k] < len(events) and events[next_due[k]][0] < due_before_s:
                    next_due[k] += 1
                if next_due[k] > first:
                    due = events[first : next_due[k]]
                    yield Chunk.from_arrays(
                        spec, [self.t0_s + t for t, _ in due], [row for _, row in due]
                    )

    async def aclose(self) -> None:
        self._closed = True


def _with_counter(spec: StreamSpec) -> StreamSpec:
    if spec.is_markers:
        return spec
    return replace(
        spec,
        channels=(*spec.channels, COUNTER_CHANNEL),
        units=(*spec.units, "count"),
        channel_types=(*spec.types, "MISC"),
    )
