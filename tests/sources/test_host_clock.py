"""One clock-offset measurement per host: the registry's rules, then LslSource on loopback."""

from __future__ import annotations

import asyncio
import math
from collections import Counter

import numpy as np
import pylsl
import pytest

import emostream.sources.host_clock as host_clock
from emostream.core.chunk import Chunk
from emostream.core.events import ClockOffset
from emostream.core.spec import StreamSpec
from emostream.sinks.lsl import StreamOutlets
from emostream.sources.host_clock import HostClocks
from emostream.sources.lsl import LslQuery, LslSource


class Reader:
    closed = False


class FakeClock:
    """The LSL clock, stepped by hand (`host_clock` reads it through `lsl_now_s`)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now_s = 100.0
        monkeypatch.setattr(host_clock, "lsl_now_s", lambda: self.now_s)


def measures(counts: Counter, name: str, offset_s: float):
    def measure() -> float:
        counts[name] += 1
        return offset_s

    return measure


def test_one_reader_per_host_measures_and_the_others_take_its_offset(monkeypatch):
    clock, clocks, counts = FakeClock(monkeypatch), HostClocks(), Counter()
    a, b, c = Reader(), Reader(), Reader()
    assert clocks.offset("lab-pc", a, measures(counts, "a", 1.5), 5.0) == (100.0, 1.5)
    assert clocks.offset("lab-pc", b, measures(counts, "b", 9.0), 5.0) == (100.0, 1.5)
    assert clocks.offset("tablet", c, measures(counts, "c", -2.0), 5.0) == (100.0, -2.0)
    clock.now_s = 106.0  # due: only the host's measurer measures again
    assert clocks.offset("lab-pc", b, measures(counts, "b", 9.0), 5.0) == (100.0, 1.5)
    assert clocks.offset("lab-pc", a, measures(counts, "a", 1.6), 5.0) == (106.0, 1.6)
    assert clocks.offset("lab-pc", b, measures(counts, "b", 9.0), 5.0) == (106.0, 1.6)
    assert counts == {"a": 2, "c": 1}


def test_the_measuring_passes_on_when_the_measurer_closes_or_falls_silent(monkeypatch):
    clock, clocks, counts = FakeClock(monkeypatch), HostClocks(), Counter()
    a, b = Reader(), Reader()
    clocks.offset("lab-pc", a, measures(counts, "a", 1.0), 5.0)
    a.closed = True
    assert clocks.offset("lab-pc", b, measures(counts, "b", 2.0), 5.0) == (100.0, 2.0)
    a.closed = False  # b is the measurer now; a takes b's offset
    assert clocks.offset("lab-pc", a, measures(counts, "a", 1.0), 0.0) == (100.0, 2.0)
    # b's stream falls silent (it measures only when data comes): after 3 refreshes, a takes over
    clock.now_s = 100.0 + host_clock.HAND_OVER_AFTER_REFRESHES * 5.0 - 0.1
    assert clocks.offset("lab-pc", a, measures(counts, "a", 3.0), 5.0) == (100.0, 2.0)
    clock.now_s += 0.2
    assert clocks.offset("lab-pc", a, measures(counts, "a", 3.0), 5.0) == (clock.now_s, 3.0)
    assert counts == {"a": 2, "b": 1}


def test_a_reader_that_lost_its_last_reference_hands_the_measuring_on(monkeypatch):
    FakeClock(monkeypatch)
    clocks, counts = HostClocks(), Counter()
    clocks.offset("lab-pc", Reader(), measures(counts, "gone", 1.0), 5.0)
    assert clocks.offset("lab-pc", Reader(), measures(counts, "b", 2.0), 5.0)[1] == 2.0
    assert counts == {"gone": 1, "b": 1}


def _spec(name: str, kind: str) -> StreamSpec:
    return StreamSpec(kind, f"{name}-{kind}", (kind,), ("a.u.",), 50.0, f"{name}:{kind}")


def read_offsets(
    specs: list[StreamSpec], clocks: HostClocks | None, n_offsets: int
) -> tuple[list[list[ClockOffset]], Counter]:
    """Read one LslSource per spec from real outlets until each yielded `n_offsets` offsets
    (refreshed every 1 s: only a measurer stalled for 3 s hands over, which a loaded test
    machine can cause at shorter periods); also count `time_correction` calls per inlet."""
    calls: Counter = Counter()
    measure = pylsl.StreamInlet.time_correction

    def counted(inlet: pylsl.StreamInlet, timeout: float = 2.0) -> float:
        calls[id(inlet)] += 1
        return measure(inlet, timeout=timeout)

    outlets = StreamOutlets(specs)
    sources = [
        LslSource(LslQuery(source_id=s.source_id), clock_refresh_s=1.0, host_clocks=clocks)
        for s in specs
    ]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pylsl.StreamInlet, "time_correction", counted)

        offsets: list[list[ClockOffset]] = [[] for _ in sources]

        async def collect(source: LslSource, into: list[ClockOffset]) -> None:
            """Until every source has its offsets (a source that stops reading stops
            measuring, and another would take over)."""
            async for event in source.events():
                if isinstance(event, ClockOffset):
                    into.append(event)
                if all(len(o) >= n_offsets for o in offsets):
                    break

        async def push() -> None:
            while True:
                now = pylsl.local_clock()
                for spec in specs:
                    outlets.push(Chunk(spec, now + np.arange(2) / 50.0, np.zeros((2, 1))))
                await asyncio.sleep(0.04)

        async def scenario() -> None:
            for source in sources:
                await source.open()
            pusher = asyncio.create_task(push())
            try:
                collecting = (collect(s, o) for s, o in zip(sources, offsets, strict=True))
                await asyncio.wait_for(asyncio.gather(*collecting), timeout=30.0)
            finally:
                pusher.cancel()
                for source in sources:
                    await source.aclose()

        try:
            asyncio.run(scenario())
        finally:
            outlets.close()
    return offsets, calls


def test_streams_from_one_host_share_one_measuring_inlet(unique_name):
    specs = [_spec(unique_name, kind) for kind in ("ECG", "EDA", "ACC")]
    offsets, calls = read_offsets(specs, HostClocks(), n_offsets=4)
    assert len(calls) == 1 and sum(calls.values()) >= 4  # one inlet measured, again and again
    measured = [{(o.measured_at_s, o.offset_s) for o in per_source} for per_source in offsets]
    assert all(len(m) >= 4 for m in measured)
    assert set.union(*measured) in measured  # the measurer's measurements, shared
    assert {o.source_id for o in offsets[1]} == {specs[1].source_id}
    assert all(math.isfinite(o.offset_s) and abs(o.offset_s) < 0.1 for o in offsets[0])


def test_without_a_shared_clock_every_inlet_measures(unique_name):
    specs = [_spec(unique_name, kind) for kind in ("ECG", "EDA")]
    _, calls = read_offsets(specs, None, n_offsets=3)
    assert len(calls) == 2


@pytest.mark.parametrize("shared", [True, False])
def test_a_pipeline_shares_the_clock_unless_a_source_says_shared_clock_false(
    tmp_path, unique_name, shared
):
    from emostream.pipeline.build import build_live_sources
    from emostream.pipeline.config import load_pipeline
    from emostream.sources.host_clock import HOST_CLOCKS

    specs = [_spec(unique_name, kind) for kind in ("ECG", "EDA")]
    path = tmp_path / "p.toml"
    path.write_text(
        '[pipeline]\nname = "clock"\n[window]\nlength_s = 30.0\nhop_s = 1.0\n'
        + "".join(
            f'[[sources]]\ndevice = "lsl-generic"\nkinds = ["{s.kind}"]\nname = "{s.name}"\n'
            + ("" if shared else "shared_clock = false\n")
            for s in specs
        )
        + "[features.hrv]\n[features.eda]\n"
    )
    outlets = StreamOutlets(specs)
    try:
        sources = build_live_sources(load_pipeline(path))
    finally:
        outlets.close()
    assert [s.host_clocks for s in sources] == [HOST_CLOCKS if shared else None] * 2
