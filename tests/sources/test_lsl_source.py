"""LslSource against real outlets on loopback (own SessionID per run, unique names per test)."""

import asyncio
import gc

import numpy as np
import pytest

from emostream.core.chunk import Chunk
from emostream.core.clock import lsl_now_s
from emostream.core.events import Gap
from emostream.core.spec import StreamSpec
from emostream.errors import ResolveError
from emostream.sinks.lsl import StreamOutlets
from emostream.sources.lsl import LslQuery, LslSource, dejitters

RATE_HZ = 100.0


def make_spec(name: str) -> StreamSpec:
    return StreamSpec(
        "ECG", name, ("ECG", "counter"), ("millivolts", "count"), RATE_HZ, f"{name}:ecg"
    )


def test_resolve_timeout_is_a_clear_error(unique_name):
    with pytest.raises(ResolveError, match=f"no LSL stream matched name='{unique_name}'"):
        LslSource(LslQuery(name=unique_name), resolve_timeout_s=0.2)


def test_dejitter_only_for_regular_streams(unique_name):
    regular = make_spec(unique_name)
    rr = StreamSpec("RR", "rr", ("rri_ms",), ("ms",), 0.0, "x:rr")
    assert dejitters(regular)
    assert not dejitters(regular, gappy=True)
    assert not dejitters(rr)


async def _produce(
    spec: StreamSpec, outlets: StreamOutlets | None, phases: list[tuple[float, bool]]
):
    """Push 50 ms chunks with a counter channel; each phase is (seconds, outlet present)."""
    counter = 0
    for seconds, present in phases:
        if present and outlets is None:
            outlets = StreamOutlets([spec])
        if not present and outlets is not None:
            outlets.close()
            outlets = None
            gc.collect()
        steps = int(seconds / 0.05)
        for _ in range(steps):
            if outlets is not None:
                n = int(RATE_HZ * 0.05)
                t_last = lsl_now_s()
                ts = t_last - (np.arange(n)[::-1]) / RATE_HZ
                data = np.column_stack((np.zeros(n), np.arange(counter, counter + n)))
                outlets.push(Chunk(spec, ts, data.astype(np.float32)))
                counter += n
            await asyncio.sleep(0.05)
    return counter


def test_outlet_lost_and_back_gives_a_gap_and_resumes(unique_name):
    spec = make_spec(unique_name)

    async def scenario():
        outlets = StreamOutlets([spec])
        source = LslSource(
            LslQuery(source_id=spec.source_id), resolve_timeout_s=5.0, gap_after_s=0.5
        )
        producer = asyncio.create_task(
            _produce(spec, outlets, [(1.5, True), (2.0, False), (30.0, True)])
        )
        del outlets
        counters, gaps = [], []

        async def consume():
            async for event in source.events():
                if isinstance(event, Gap):
                    gaps.append(event)
                elif isinstance(event, Chunk):
                    counters.append(event.data[:, 1].astype(int))
                    if gaps and counters[-1][-1] > 600:
                        return

        try:
            await asyncio.wait_for(consume(), timeout=40.0)
        finally:
            producer.cancel()
            await source.aclose()
        return source, np.concatenate(counters), gaps

    source, counters, gaps = asyncio.run(scenario())
    assert len(gaps) == 1 and source.n_gaps == 1
    assert gaps[0].t_to_s - gaps[0].t_from_s > 1.0
    # samples resume after the gap with no duplicates
    assert np.all(np.diff(counters) > 0)
    assert counters[-1] > 600
    assert source.spec.channels == ("ECG", "counter")
    assert len(source.clock_offsets) >= 1
