"""RecordingSource: merged time order, exact sample coverage, arrival-log order, loop, start."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from emostream.core.chunk import Chunk
from emostream.core.events import Gap
from emostream.core.spec import StreamSpec, markers_spec
from emostream.errors import UsageError
from emostream.formats.base import RecordedStream, Recording
from emostream.formats.session.layout import ARRIVAL_LOG_KEY, ArrivalLog
from emostream.sources.recording import RecordingSource
from emostream.windowing import WindowConfig, Windower


def _spec(kind: str, rate_hz: float, channels: int = 1) -> StreamSpec:
    labels = tuple(f"c{i}" for i in range(channels))
    return StreamSpec(kind, f"test-{kind}", labels, ("",) * channels, rate_hz, f"src-{kind}")


def make_recording(duration_s: float = 60.0, t0: float = 1000.0) -> Recording:
    """ECG 128 Hz (sample counter), EDA 4 Hz, and a marker every 7 s."""
    streams = {}
    for kind, fs in (("ECG", 128.0), ("EDA", 4.0)):
        n = int(duration_s * fs)
        ts = t0 + np.arange(n) / fs
        streams[kind.lower()] = RecordedStream(
            _spec(kind, fs), ts, np.arange(n, dtype=float)[:, None]
        )
    mts = t0 + np.arange(3.0, duration_s, 7.0)
    mdata = np.array([[f"m{i}"] for i in range(len(mts))], dtype=object)
    streams["markers"] = RecordedStream(markers_spec("test-markers", "src-m"), mts, mdata)
    return Recording(streams, unix_offset_s=1.7e9)


async def _collect(source: RecordingSource, limit: int | None = None) -> list:
    out = []
    async for ev in source.events():
        out.append(ev)
        if limit is not None and len(out) >= limit:
            await source.aclose()
    return out


def test_fast_replay_delivers_every_sample_once_in_time_order() -> None:
    rec = make_recording(3600.0)  # one hour: finishing at all shows nothing sleeps
    events = asyncio.run(_collect(RecordingSource(rec, chunk_s=1.0)))
    assert all(isinstance(e, Chunk) for e in events)
    for key, stream in rec.streams.items():
        got = [e for e in events if e.spec == stream.spec]
        np.testing.assert_array_equal(
            np.concatenate([c.timestamps for c in got]), stream.timestamps
        )
        np.testing.assert_array_equal(
            np.concatenate([c.data for c in got]), stream.data, err_msg=key
        )
    last = [e.t_last for e in events]
    assert last == sorted(last)


def _windows(rec: Recording, chunk_s: float) -> list:
    windower = Windower(WindowConfig(length_s=10.0, hop_s=1.0))
    windows = []

    async def run() -> None:
        async for ev in RecordingSource(rec, chunk_s=chunk_s).events():
            windower.push(ev)
            windows.extend(windower.pop_ready())

    asyncio.run(run())
    return windows + windower.pop_ready(flush=True)


def test_fast_replay_windows_do_not_depend_on_chunking() -> None:
    rec = make_recording(120.0)
    fine, coarse = _windows(rec, 0.1), _windows(rec, 0.7)
    assert [w.t_end for w in fine] == [w.t_end for w in coarse]
    assert len(fine) == 110  # ends 1010 .. 1119: the last sample is at 1119.99
    for a, b in zip(fine, coarse, strict=True):
        assert a.fresh_markers == b.fresh_markers
        for key in a.streams:
            np.testing.assert_array_equal(a.streams[key].fresh_data, b.streams[key].fresh_data)


def test_arrival_log_reproduces_live_chunking_and_order() -> None:
    rec = make_recording(10.0)
    rng = np.random.default_rng(0)
    keys = tuple(rec.streams)
    rows_stream, rows_n = [], []
    remaining = {k: len(rec.streams[k].timestamps) for k in keys}
    while any(remaining.values()):
        k = rng.choice([k for k in keys if remaining[k]])
        take = min(remaining[k], int(rng.integers(1, 40)))
        rows_stream.append(keys.index(k))
        rows_n.append(take)
        remaining[k] -= take
    gap = Gap("src-ECG", 1003.0, 1004.0, "reconnect")
    rows_stream.insert(5, -1)
    rows_n.insert(5, 0)
    log = ArrivalLog(
        keys, np.array(rows_stream, np.int32), np.array(rows_n, np.int64),
        np.zeros(len(rows_n)), (gap,),
    )  # fmt: skip
    rec.meta[ARRIVAL_LOG_KEY] = log
    events = asyncio.run(_collect(RecordingSource(rec)))
    assert events[5] == gap
    chunks = [e for e in events if isinstance(e, Chunk)]
    got = [
        (keys.index(next(k for k in keys if rec.streams[k].spec == c.spec)), len(c)) for c in chunks
    ]
    assert got == [(s, n) for s, n in zip(rows_stream, rows_n, strict=True) if s >= 0]


def test_start_and_loop_shift_timestamps_forward() -> None:
    rec = make_recording(20.0)
    source = RecordingSource(rec, start_s=5.0, loop=True)
    events = asyncio.run(_collect(source, limit=2000))
    ecg = np.concatenate([e.timestamps for e in events if e.spec.kind == "ECG"])
    assert ecg[0] == pytest.approx(1005.0)
    assert np.all(np.diff(ecg) > 0)
    assert ecg[-1] > 1020.0  # went round at least once


def test_paced_restamp_keeps_spacing_on_the_lsl_clock() -> None:
    rec = make_recording(4.0)
    source = RecordingSource(rec, speed=40.0, restamp=True)

    async def run() -> list[tuple[float, Chunk]]:
        got = []
        async for ev in source.events():
            got.append(ev)
        return got

    events = asyncio.run(run())
    ecg = [e for e in events if e.spec.kind == "ECG"]
    stamped = np.concatenate([c.timestamps for c in ecg])
    original = rec.streams["ecg"].timestamps
    np.testing.assert_allclose(stamped, source.virtual_lsl_s(original), atol=1e-9)
    np.testing.assert_allclose(np.diff(stamped), np.diff(original), atol=1e-9)  # spacing kept
    assert source.target_lsl_s(original[-1]) - source.anchor_lsl_s == pytest.approx(
        (original[-1] - original[0]) / 40.0
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"speed": 0.0}, "speed must be > 0"),
        ({"restamp": True}, "needs a replay speed"),
        ({"start_s": 500.0}, "past the end"),
    ],
)
def test_bad_arguments_are_usage_errors(kwargs: dict, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        RecordingSource(make_recording(10.0), **kwargs)


def test_e4_export_folder_replays_every_sample(shared_data) -> None:
    """A real Empatica E4 export (Stress-Predict S02) through the format registry."""
    from emostream.formats.registry import read_recording

    fmt, rec = read_recording(shared_data / "stress_predict" / "Raw_data" / "S02")
    assert fmt == "e4"
    counts = dict.fromkeys(rec.streams, 0)
    keys = {s.spec: k for k, s in rec.streams.items()}

    async def run() -> None:
        async for ev in RecordingSource(rec, chunk_s=1.0).events():
            counts[keys[ev.spec]] += len(ev)

    asyncio.run(run())
    assert counts == {k: len(s.timestamps) for k, s in rec.streams.items()}
