"""LslSource against real outlets on loopback (own SessionID per run, unique names per test)."""

import asyncio
import gc
from threading import Thread

import numpy as np
import pytest

from emostream.core.chunk import Chunk
from emostream.core.clock import lsl_now_s
from emostream.core.events import Gap
from emostream.core.spec import StreamSpec
from emostream.errors import ResolveError
from emostream.sinks.lsl import StreamOutlets
from emostream.sources.lsl import LslQuery, LslSource, _Handoff, dejitters

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


def test_a_busy_consumer_gets_its_backlog_in_a_few_larger_chunks(unique_name):
    spec = make_spec(unique_name)
    stall_s, push_every_s = 0.6, 0.01

    async def scenario():
        outlets = StreamOutlets([spec])
        source = LslSource(LslQuery(source_id=spec.source_id), resolve_timeout_s=5.0)
        counter = 0

        async def produce():
            nonlocal counter
            while True:  # one sample at a time
                data = np.array([[0.0, counter]], dtype=np.float32)
                outlets.push(Chunk(spec, np.array([lsl_now_s()]), data))
                counter += 1
                await asyncio.sleep(push_every_s)

        chunks: list[np.ndarray] = []
        await source.open()
        producer = asyncio.create_task(produce())
        try:
            events = source.events()
            async for event in events:
                if isinstance(event, Chunk):
                    chunks.append(event.data[:, 1].astype(int))
                    if len(chunks) == 3:
                        break
            stall_from = counter
            await asyncio.sleep(stall_s)  # busy elsewhere: the source's events wait
            pushed_in_stall = counter
            after: list[np.ndarray] = []
            async for event in events:
                if isinstance(event, Chunk):
                    after.append(event.data[:, 1].astype(int))
                    if after[-1][-1] >= pushed_in_stall - 1:
                        break
            await events.aclose()
        finally:
            producer.cancel()
            await source.aclose()
            outlets.close()
        return np.concatenate(chunks + after), after, pushed_in_stall - stall_from

    counters, after, pushed_in_stall = asyncio.run(scenario())
    assert np.array_equal(counters, np.arange(counters.size))  # nothing lost or repeated
    assert pushed_in_stall > 30  # the stall's pushes came in a few chunks, not one each
    assert len(after) <= 4, [len(c) for c in after]


def test_results_handed_on_together_wake_the_loop_once():
    loop = asyncio.new_event_loop()
    handoff = _Handoff.of(loop)
    assert _Handoff.of(loop) is handoff  # one per loop, shared by its sources
    inboxes: list[asyncio.Queue] = [asyncio.Queue(), asyncio.Queue()]
    wake_ups: list[int] = []
    deliver = handoff._deliver
    handoff._deliver = lambda: (wake_ups.append(1), deliver())  # type: ignore[method-assign]

    def readers() -> None:
        for i in range(5):
            for k, inbox in enumerate(inboxes):
                handoff.put(inbox, [(k, i, "offset"), (k, i)])

    try:
        thread = Thread(target=readers)
        thread.start()
        thread.join()
        loop.run_until_complete(asyncio.sleep(0.01))
        assert wake_ups == [1]
        for k, inbox in enumerate(inboxes):
            got = [inbox.get_nowait() for _ in range(inbox.qsize())]
            assert got == [item for i in range(5) for item in ((k, i, "offset"), (k, i))]
        handoff.put(inboxes[0], ["next"])  # once delivered, the next result wakes it again
        loop.run_until_complete(asyncio.sleep(0.01))
        assert len(wake_ups) == 2 and inboxes[0].get_nowait() == "next"
    finally:
        loop.close()
    with pytest.raises(RuntimeError):  # the reader thread then ends
        handoff.put(inboxes[0], ["after close"])
