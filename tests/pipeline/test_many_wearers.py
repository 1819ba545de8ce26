"""One process hosts many wearers: each pipeline sees only its own wearer's data."""

import asyncio

from emostream.core.chunk import Chunk
from emostream.core.spec import markers_spec
from emostream.errors import DeviceError
from emostream.features.hrv import HrvParams
from emostream.pipeline.build import build_model
from emostream.pipeline.config import load_pipeline, parse_pipeline
from emostream.pipeline.launch import WearerRun, run_sessions
from emostream.pipeline.runner import RunStats, Wearer, _pump, run_wearers
from emostream.pipeline.wearer import WearerPipeline
from emostream.sources.base import Source
from emostream.sources.synthetic import SyntheticWearerSource
from emostream.synth.protocol import Protocol
from emostream.windowing import WindowConfig

WINDOW = WindowConfig(length_s=30.0, hop_s=5.0)
FEATURES = {"hrv": HrvParams()}


def make_wearer(seed: int) -> tuple[Wearer, list]:
    source = SyntheticWearerSource(
        seed=seed, duration_s=90.0, kinds=("ECG", "Markers"), chunk_s=0.5
    )
    pipeline = WearerPipeline(WINDOW, source.specs, FEATURES)
    rows: list = []
    return Wearer([source], pipeline, lambda r: rows.append(r.features.row())), rows


def test_twelve_wearers_in_one_process_match_solo_runs():
    crowd = [make_wearer(seed) for seed in range(12)]
    asyncio.run(run_wearers([w for w, _ in crowd]))
    for seed in (0, 7, 11):
        solo, solo_rows = make_wearer(seed)
        asyncio.run(run_wearers([solo]))
        assert crowd[seed][1] == solo_rows
    heart_rates = {round(rows[-1]["hr_bpm"], 3) for _, rows in crowd}
    assert len(heart_rates) > 6  # different wearers, different hearts
    assert all(len(rows) == len(crowd[0][1]) > 5 for _, rows in crowd)


class DeviceLostAfter(Source):
    """A synthetic wearer whose device fails (raises) after `n_chunks` chunks."""

    def __init__(self, source: SyntheticWearerSource, n_chunks: int):
        self.source, self.n_chunks = source, n_chunks

    @property
    def specs(self):
        return self.source.specs

    async def events(self):
        n = 0
        async for event in self.source.events():
            if n == self.n_chunks:
                raise DeviceError("the strap stopped answering")
            n += 1
            yield event


def test_a_failing_wearer_does_not_stall_the_others():
    """Paced wearers in one loop: one device raises early; the others close every window."""
    config = parse_pipeline(
        {"pipeline": {"name": "t"}, "window": {"length_s": 30.0, "hop_s": 5.0},
         "features": {"hrv": {}}}
    )  # fmt: skip

    def source(seed: int) -> SyntheticWearerSource:
        return SyntheticWearerSource(
            seed=seed, duration_s=90.0, kinds=("ECG",), chunk_s=0.5, speed=200.0
        )

    runs = [WearerRun([source(1)]), WearerRun([DeviceLostAfter(source(2), 40)]),
            WearerRun([source(3)])]  # fmt: skip
    results = run_sessions(config, runs, mode="live")
    (alone,) = run_sessions(config, [WearerRun([source(3)])], mode="live")
    assert results[2].feature_rows == alone.feature_rows  # nothing lost beside the failure
    assert len(results[0].feature_rows) == len(alone.feature_rows) == 12
    assert results[1].feature_rows == []  # 40 chunks = 20 s of data, less than one window
    assert results[1].wearer.stats.source_errors == ["DeviceLostAfter: the strap stopped answering"]
    assert not results[0].wearer.stats.source_errors


def test_a_live_run_without_rows_keeps_no_window_but_hands_each_on():
    """The CLI's live runs hand windows to their sinks only: memory flat over hours."""
    config = parse_pipeline(
        {"pipeline": {"name": "t"}, "window": {"length_s": 30.0, "hop_s": 5.0},
         "features": {"hrv": {}}}
    )  # fmt: skip
    seen: list = []
    source = SyntheticWearerSource(
        seed=3, duration_s=90.0, kinds=("ECG",), chunk_s=0.5, speed=200.0
    )
    (result,) = run_sessions(
        config, [WearerRun([source], on_result=seen.append, keep_rows=False)], mode="live"
    )
    assert result.feature_rows == [] and result.prediction_rows == [] and result.markers_out == []
    assert len(seen) == result.pipeline.counters.n_windows == 12


class Flood(Source):
    """The same chunks over and over, never yielding to the loop: the wearer's queue fills."""

    def __init__(self, source: SyntheticWearerSource, n_chunks: int = 50):
        self.source, self.n_chunks = source, n_chunks
        self.n_sent = 0

    @property
    def specs(self):
        return self.source.specs

    async def events(self):
        chunks = []
        async for event in self.source.events():
            chunks.append(event)
            if len(chunks) == self.n_chunks:
                break
        while True:
            for event in chunks:
                self.n_sent += 1
                yield event


def test_a_stop_while_the_queue_is_full_ends_the_run():
    """... once the wearer has processed every event its source sent: those in its queue, and
    the one the source was waiting to enqueue."""
    source = SyntheticWearerSource(seed=1, duration_s=60.0, kinds=("ECG",), chunk_s=0.5)
    flood = Flood(source)
    wearer = Wearer([flood], WearerPipeline(WINDOW, source.specs, FEATURES))

    async def main() -> None:
        stop = asyncio.Event()
        run = asyncio.create_task(run_wearers([wearer], stop))
        while wearer.stats.n_queue_stalls == 0:
            await asyncio.sleep(0.01)
        stop.set()
        await asyncio.wait_for(run, timeout=30.0)

    asyncio.run(main())
    assert wearer.stats.n_events == flood.n_sent


def test_a_self_report_reaches_the_model_before_the_next_window_closes():
    config = load_pipeline("demo")
    source = SyntheticWearerSource(seed=5, duration_s=300.0, kinds=("ECG", "EDA"), chunk_s=0.5)
    model = build_model(config, None)
    pipeline = WearerPipeline(config.window, source.specs, config.features, model=model)

    async def windows_until(n: int) -> float:
        async for event in source.events():
            for result in pipeline.push(event):
                if pipeline.counters.n_windows == n:
                    return result.features.t_end
        raise AssertionError("the source ended early")

    t_end = asyncio.run(windows_until(30))  # 60 s windows, 5 s hop: 205 s of data
    spec = markers_spec("console", "console-0")
    answer = Chunk.from_arrays(spec, [t_end + 1.0], [["report:120s:state=stress"]])
    assert pipeline.push(answer) == []  # no window closed ...
    assert model.counters.n_learned > 0  # ... and the model has learned from the answer


def test_a_source_task_cancelled_on_a_full_queue_ends():
    """The stop path, made deterministic: a full queue nobody drains, the source's task
    blocked on it, then cancelled (as the runner cancels it at a stop). The event it was
    waiting to enqueue is held, not lost."""
    source = SyntheticWearerSource(seed=1, duration_s=60.0, kinds=("ECG",), chunk_s=0.5)
    stats, held = RunStats(), []
    flood = Flood(source)

    async def main() -> None:
        queue: asyncio.Queue = asyncio.Queue(maxsize=1)
        task = asyncio.create_task(_pump(flood, queue, stats, held))
        while stats.n_queue_stalls == 0:
            await asyncio.sleep(0.01)
        task.cancel()
        done, _ = await asyncio.wait([task], timeout=5.0)
        assert done, "the cancelled source task still waits on the full queue"
        assert queue.qsize() + len(held) == flood.n_sent == 2

    asyncio.run(main())


class StillConnected(Source):
    """A recording's events, then silence: a live device that never ends by itself."""

    def __init__(self, source: SyntheticWearerSource):
        self.source, self.sent_all = source, asyncio.Event()

    @property
    def specs(self):
        return self.source.specs

    async def events(self):
        async for event in self.source.events():
            yield event
        self.sent_all.set()
        await asyncio.Event().wait()


def test_a_stopped_live_run_learns_what_it_received_after_its_last_window():
    """A live run ends at a stop (`--duration`, Ctrl-C), not at the end of its sources. The
    end marker of the last phase, after the last window, is still learned."""
    config = load_pipeline("demo")
    protocol = Protocol((("baseline", 120.0), ("stress", 120.0), ("amusement", 120.0)))
    source = StillConnected(
        SyntheticWearerSource(seed=5, protocol=protocol, kinds=("ECG", "EDA", "Markers"))
    )
    model = build_model(config, None)
    pipeline = WearerPipeline(config.window, source.specs, config.features, model=model)
    seen: list = []

    async def main() -> None:
        stop = asyncio.Event()
        run = asyncio.create_task(run_wearers([Wearer([source], pipeline, seen.append)], stop))
        await source.sent_all.wait()
        stop.set()
        await asyncio.wait_for(run, timeout=30.0)

    asyncio.run(main())
    assert len(seen) == pipeline.counters.n_windows == 60  # 60 s windows, 5 s hop: ends 60 … 355 s
    assert "amusement" in model.prequential.counts  # learned at its end marker, at 360 s
