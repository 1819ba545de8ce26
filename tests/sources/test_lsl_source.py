"""LslSource against real outlets on loopback (own SessionID per run, unique names per test)."""

import asyncio
import gc
import itertools
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pylsl
import pytest

from emostream.core.chunk import Chunk
from emostream.core.clock import lsl_now_s
from emostream.core.events import Gap
from emostream.core.spec import StreamSpec
from emostream.errors import ResolveError
from emostream.sinks.lsl import StreamOutlets
from emostream.sources import lsl, lsl_recovery
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
    """Push 50 ms chunks with a counter channel; each phase is (seconds, outlet present).

    Samples are stamped on the sender's sample clock, which runs on while the outlet is away,
    so that a late wake-up of this task (a loaded machine) leaves no hole in the timestamps."""
    counter, n_due, t0 = 0, 0, lsl_now_s()
    for seconds, present in phases:
        if present and outlets is None:
            outlets = StreamOutlets([spec])
        if not present and outlets is not None:
            outlets.close()
            outlets = None
            gc.collect()
        steps = int(seconds / 0.05)
        for _ in range(steps):
            n = int(RATE_HZ * 0.05)
            if outlets is not None:
                ts = t0 + (n_due + np.arange(n)) / RATE_HZ
                data = np.column_stack((np.zeros(n), np.arange(counter, counter + n)))
                outlets.push(Chunk(spec, ts, data.astype(np.float32)))
                counter += n
            n_due += n
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


def test_the_streams_of_one_loop_are_read_by_one_thread_that_wakes_it_once_per_sweep(
    unique_name, monkeypatch
):
    specs = [make_spec(f"{unique_name}-{i}") for i in range(8)]
    rounds = 6
    deliveries: list[int] = []
    deliver = lsl._deliver

    def counted(results):
        deliveries.append(sum(1 for _, r in results if isinstance(r, tuple) and r[1].size))
        deliver(results)

    monkeypatch.setattr(lsl, "_deliver", counted)

    def lsl_threads() -> list[str]:
        return [t.name for t in threading.enumerate() if t.name.startswith("lsl-")]

    async def scenario():
        outlets = StreamOutlets(specs)
        sources = [LslSource(LslQuery(source_id=s.source_id)) for s in specs]
        got = [0] * len(sources)
        subscribed = [asyncio.Event() for _ in sources]

        async def consume(k: int, source: LslSource) -> None:
            async for event in source.events():  # the first is the clock offset
                subscribed[k].set()
                if isinstance(event, Chunk):
                    got[k] += len(event)

        tasks = [asyncio.create_task(consume(k, s)) for k, s in enumerate(sources)]
        for event in subscribed:
            await event.wait()
        await asyncio.sleep(0.05)
        threads_while_reading = lsl_threads()
        deliveries.clear()
        for r in range(rounds):  # every stream gets a sample at the same moment
            for spec in specs:
                data = np.array([[0.0, r]], dtype=np.float32)
                outlets.push(Chunk(spec, np.array([lsl_now_s()]), data))
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.2)
        for source in sources:
            await source.aclose()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        outlets.close()
        return got, threads_while_reading

    got, threads_while_reading = asyncio.run(scenario())
    assert got == [rounds] * len(specs)  # nothing lost
    assert threads_while_reading == ["lsl-poller"]  # not a thread per inlet
    with_data = [n for n in deliveries if n]
    # each round's eight chunks wake the loop together (a sweep may split a round in two)
    assert sum(with_data) == rounds * len(specs)
    assert len(with_data) <= 2 * rounds, with_data
    deadline = lsl_now_s() + 2.0
    while lsl_threads() and lsl_now_s() < deadline:  # the poller ends with its last source
        threading.Event().wait(0.02)
    assert lsl_threads() == []


def test_an_outlet_found_again_after_liblsl_has_recovered_it_adds_no_duplicates(unique_name):
    """A lookup subscribes a new inlet to a returning outlet while liblsl's own recovery of
    the old inlet reaches it too. What the old inlet hands on meanwhile, the new one holds
    as well: the new one must not be taken."""
    spec = make_spec(unique_name)
    counter = itertools.count()

    def push(outlets: StreamOutlets) -> None:
        data = np.array([[0.0, next(counter)] for _ in range(5)], dtype=np.float32)
        outlets.push(Chunk(spec, lsl_now_s() + np.arange(5) / RATE_HZ, data))

    def resolve(not_uid: str = "") -> pylsl.StreamInfo:
        found = pylsl.resolve_bypred(f"source_id='{spec.source_id}'", 1, 5.0)
        return next(i for i in found if i.uid() != not_uid)

    def read_until_data(outlets: StreamOutlets) -> np.ndarray:
        for _ in range(400):  # 20 s
            push(outlets)
            time.sleep(0.05)
            reader.taken = True
            result = reader.poll(lsl_now_s())
            if isinstance(result, tuple) and result[1].size:
                return result[0][:, 1].astype(int)
        raise AssertionError("no data")

    outlets = StreamOutlets([spec])
    info = resolve()
    inlet = pylsl.StreamInlet(info, recover=True)
    inlet.open_stream(5.0)
    recovery = lsl_recovery.Recovery(lsl_recovery.recovery_predicate(info), spec.source_id, 1.0)
    reader = lsl._Reader(inlet, info, recovery, spec.name, 1024, silent_tick_s=0.2)
    read_until_data(outlets)
    outlets.close()
    gc.collect()
    outlets = StreamOutlets([spec])  # the outlet returns, with a new uid
    returned = resolve(not_uid=info.uid())
    since_s = lsl_now_s()
    new = pylsl.StreamInlet(returned, recover=True)
    new.open_stream(5.0)
    handed = read_until_data(outlets)  # the old inlet, recovered by liblsl
    first_new = new.pull_chunk(timeout=0.0)[0][0][1]
    assert first_new <= handed[-1], "the new inlet holds nothing the old one handed on"
    assert not reader.swap_inlet(new, returned, since_s)
    assert reader.inlet is inlet and reader.generation == 0
    outlets.close()


def test_a_lookup_also_takes_the_streams_due_within_the_merge_window():
    def silent(next_check_s: float) -> lsl_recovery.Recovery:
        return lsl_recovery.Recovery("", "", silence_s=1.0, last_data_s=0.0,
                                     next_check_s=next_check_s)  # fmt: skip

    now_s = 20.0
    merge_s = lsl_recovery.MERGE_WITHIN_S
    waiting = [silent(now_s + 0.3 * merge_s), silent(now_s + 2.0 * merge_s)]
    assert lsl_recovery.due_now(waiting, now_s) == []  # none is due yet
    recoveries = [silent(now_s), *waiting, lsl_recovery.Recovery("", "", silence_s=1.0)]
    # the due one, and the one due a moment later; not the one due later, nor a reading one
    assert lsl_recovery.due_now(recoveries, now_s) == [0, 1]
    # a stream silent for just under its limit joins too
    nearly = lsl_recovery.Recovery("", "", silence_s=1.0, last_data_s=now_s - 1.0 + merge_s / 2)
    assert lsl_recovery.due_now([recoveries[0], nearly], now_s) == [0, 1]


def test_lost_outlets_are_looked_up_one_resolve_at_a_time_and_their_inlets_dropped(
    unique_name, tmp_path
):
    """`lsl_loss_scenario.py`, in its own process: resolves under this suite's LSL
    configuration (`ResolveScope = machine`) take seconds and miss living outlets, so the
    scenario runs with liblsl's default scope, as users have it."""
    config = tmp_path / "lsl_api.cfg"
    config.write_text(
        f"[ports]\nIPv6 = disable\nPortRange = 1024\n[lab]\nSessionID = {unique_name}\n"
    )
    done = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("lsl_loss_scenario.py")), unique_name],
        capture_output=True, text=True, timeout=120, check=True,
        env={**os.environ, "LSLAPICFG": str(config)},
    )  # fmt: skip
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["dropped"] == [True, True, True, False]  # liblsl's own recovery ended
    assert seen["silent_kept_its_inlet"] and seen["generations"][3] == 0
    assert seen["generations"][:3] == [1, 1, 1]  # subscribed to the new outlets
    assert all(seen["counters_increase"]) and min(seen["last_counter"]) > 200
    assert seen["gaps"] == [1, 1, 1, 1]
    away_from, back_at = seen["away_from"], seen["back_at"]
    # liblsl's recovery is left running for a short outage: no inlet is dropped before its
    # stream has been silent LOST_AFTER_S, counted from its last data (pushed before the
    # outlets went away, so `away_from` is later than the silence's start)
    assert seen["first_dropped_at"] - seen["last_pushed_at"] >= lsl_recovery.LOST_AFTER_S
    during = sorted((a, b, p) for a, b, p in seen["lookups"] if away_from < b and a < back_at)
    assert during, "the lost outlets were never looked up"
    for (_, end, _), (start, _, _) in itertools.pairwise(during):
        assert start >= end  # one lookup at a time
    lost_ids = [f"source_id='{unique_name}-{i}:ecg'" for i in range(3)]
    assert any(all(s in p for s in lost_ids) for _, _, p in during)  # together
    assert not [p for a, _, p in seen["lookups"] if a > back_at + 3.0]  # none once back
