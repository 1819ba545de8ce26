"""One bad timestamp never costs a stream: recordings, XDF files and live LSL inlets."""

from __future__ import annotations

import asyncio
import json
import shutil
import struct
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from benchmarks.soak_live import counter_spec
from emostream.cli import main
from emostream.core.chunk import Chunk
from emostream.core.spec import StreamSpec
from emostream.formats import session as session_format
from emostream.formats import xdf
from emostream.formats.base import RecordedStream, Recording
from emostream.formats.registry import read_recording
from emostream.profiles import load_profile
from emostream.sinks.recorder import RecorderSink
from emostream.sources.e4_tcp import E4StreamingClient
from emostream.sources.recording import RecordingSource, collect
from tests.faults.live import LiveRun, run_live

ECG = StreamSpec("ECG", "f-ECG", ("ECG",), ("uV",), 250.0, "f-ecg", "double64")
EDA = StreamSpec("EDA", "f-EDA", ("EDA",), ("uS",), 4.0, "f-eda", "double64")
DURATION_S = 340


def _signals() -> Recording:
    k = np.arange(int(ECG.rate_hz * DURATION_S))
    e = np.arange(int(EDA.rate_hz * DURATION_S))
    ecg = 500.0 * np.sin(2 * np.pi * 1.2 * k / ECG.rate_hz) ** 31  # ~72 bpm spikes
    eda = 2.0 + 0.1 * np.sin(e / 40.0)
    return Recording(
        {
            "ecg": RecordedStream(ECG, 100.0 + k / ECG.rate_hz, ecg[:, None]),
            "eda": RecordedStream(EDA, 100.0 + e / EDA.rate_hz, eda[:, None]),
        }
    )


@pytest.fixture(scope="module")
def clean_session(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rec = _signals()
    sink = RecorderSink(tmp_path_factory.mktemp("clean"), subject="F01", live=False, fsync=False)
    sink.open(None)
    for lo in range(0, DURATION_S):  # one chunk per stream and second, as a live run would
        for stream in rec.streams.values():
            rate = int(stream.spec.rate_hz)
            part = slice(lo * rate, (lo + 1) * rate)
            sink.on_chunk(Chunk(stream.spec, stream.timestamps[part], stream.data[part]))
    sink.close()
    assert sink.path is not None
    return sink.path


def _with_bad_timestamp(clean: Path, dst: Path, key: str, index: int, value: float) -> Path:
    shutil.copytree(clean, dst)
    path = dst / "streams" / f"{key}.parquet"
    table = pq.read_table(path)
    ts = table.column("timestamp").to_numpy().copy()
    ts[index] = value
    table = table.set_column(0, "timestamp", pa.array(ts))
    pq.write_table(table, path)
    return dst


def _process(session: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> dict:
    args = ["process", str(session), "--pipeline", "physio-csv", "--out", str(out), "--json"]
    assert main([*args, "--quiet"]) == 0
    return json.loads(capsys.readouterr().out)["inputs"][0]


@pytest.mark.parametrize("value", [np.nan, np.inf, 1e6 + 300.0])
def test_one_bad_timestamp_in_a_session_costs_no_window(
    clean_session: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], value: float
) -> None:
    clean = _process(clean_session, tmp_path / "clean-out", capsys)
    bad = _with_bad_timestamp(clean_session, tmp_path / "bad", "ecg", 30_000, value)
    summary = _process(bad, tmp_path / "bad-out", capsys)
    assert clean["n_windows"] >= 275
    assert summary["n_windows"] == clean["n_windows"]
    assert summary["stream_stats"]["ecg"]["n_samples"] == clean["stream_stats"]["ecg"]["n_samples"]
    assert summary["stream_stats"]["ecg"]["n_out_of_order"] == 0
    checks = summary["timestamps"]["ecg"]
    assert checks["n_repaired"] >= 1 and checks["n_dropped"] == 0
    assert (checks["n_nonfinite"], checks["n_jumps"] > 0) == (
        (1, False) if value != 1e6 + 300.0 else (0, True)
    )
    written = json.loads((tmp_path / "bad-out" / "session.json").read_text())
    assert written["inputs"][0]["timestamps"]["ecg"] == checks
    new = pq.read_table(tmp_path / "bad-out" / "features.parquet").column("eda_scl_us")
    old = pq.read_table(tmp_path / "clean-out" / "features.parquet").column("eda_scl_us")
    assert new.null_count == old.null_count


def test_export_edf_of_a_session_with_a_nan_timestamp(
    clean_session: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = _with_bad_timestamp(clean_session, tmp_path / "bad", "ecg", 1234, np.nan)
    out = tmp_path / "bad.edf"
    assert main(["export", str(bad), "--format", "edf", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and out.stat().st_size > 0
    from emostream.formats import edf

    back = edf.read(out)
    assert len(back.streams["ecg"].timestamps) == ECG.rate_hz * DURATION_S


@pytest.mark.parametrize("garbage", [b"\xff" * 8, struct.pack("<d", np.inf)])
def test_xdf_with_eight_corrupted_bytes_keeps_every_sample(tmp_path: Path, garbage: bytes) -> None:
    rec = _signals()
    path = xdf.write(rec, tmp_path / "s.xdf")
    raw = bytearray(path.read_bytes())
    target = struct.pack("<d", float(rec.streams["ecg"].timestamps[5000]))
    at = raw.find(b"\x08" + target)
    assert at > 0
    raw[at + 1 : at + 9] = garbage
    path.write_bytes(bytes(raw))
    _, back = read_recording(path)
    ecg = back.streams["ecg"]
    assert len(ecg.timestamps) == len(rec.streams["ecg"].timestamps)
    np.testing.assert_allclose(ecg.timestamps, rec.streams["ecg"].timestamps, atol=1e-6)
    np.testing.assert_array_equal(ecg.data, rec.streams["ecg"].data)
    assert back.meta["timestamps"]["ecg"]["n_nonfinite"] == 1
    assert "eda" not in back.meta["timestamps"]


# -- live: LSL outlets on loopback ---------------------------------------------------------------
def _live_specs(name: str) -> list[StreamSpec]:
    return [counter_spec(name, "ECG", 100.0), counter_spec(name, "EDA", 10.0)]


def _assert_nothing_lost(run: LiveRun) -> None:
    for kind, n in run.pushed.items():
        np.testing.assert_array_equal(run.counters(kind), np.arange(n))
        ts = run.timestamps(kind)
        assert np.isfinite(ts).all() and np.all(np.diff(ts) > 0), kind
    for key, stats in run.pipeline.windower.stats().items():
        assert stats.n_out_of_order == 0, key
    assert run.pipeline.windower.n_windows_skipped == 0


def test_live_nan_burst_costs_nothing_recording_included(unique_name: str, tmp_path: Path) -> None:
    def nan_burst(kind: str, counters: np.ndarray, ts: np.ndarray, _: float) -> np.ndarray:
        if kind == "ECG":
            ts = np.where((counters >= 100) & (counters < 200), np.nan, ts)
        return ts

    run = run_live(_live_specs(unique_name), 4.0, fault=nan_burst, record_root=tmp_path)
    _assert_nothing_lost(run)
    ecg = run.sources["ECG"]
    assert ecg.guard.stats.n_nonfinite == 100 and ecg.guard.stats.n_repaired == 100
    assert run.sources["EDA"].guard.stats.n_events == 0
    assert run.session is not None
    recorded = session_format.read(run.session)
    np.testing.assert_array_equal(
        recorded.streams["ecg"].data[:, -1].astype(int), np.arange(run.pushed["ECG"])
    )
    written = json.loads((run.session / "session.json").read_text())
    assert written["timestamps"][ecg.spec.source_id]["n_nonfinite"] == 100
    assert written["timestamps"][run.sources["EDA"].spec.source_id]["n_nonfinite"] == 0


@pytest.mark.parametrize("lasting", [False, True], ids=["spike", "lasting"])
def test_live_jump_keeps_ecg_in_order_and_eda_features(unique_name: str, lasting: bool) -> None:
    def jump(kind: str, counters: np.ndarray, ts: np.ndarray, _: float) -> np.ndarray:
        hit = counters >= 150 if lasting else (counters >= 150) & (counters < 155)
        return np.where(hit, ts + 1e6, ts) if kind == "ECG" else ts

    run = run_live(_live_specs(unique_name), 5.0, fault=jump)
    _assert_nothing_lost(run)
    assert run.sources["ECG"].guard.stats.n_jumps == (1 if lasting else 2)
    assert len(run.results) >= 4  # windows start where every stream has 2 s of data
    assert all(r.features.coverage["eda"] > 0.9 for r in run.results)
    assert all(r.features.coverage["ecg"] > 0.9 for r in run.results)


@pytest.mark.parametrize(("wild", "wild_s"), [(7, -5.0), (7, 100.0), (3, 100.0)])
def test_live_rr_at_48_bpm_with_a_wild_beat_keeps_its_clock(
    unique_name: str, wild: int, wild_s: float
) -> None:
    """An irregular LSL stream, one beat every 1.25 s (each pushed once its interval is over),
    one beat stamped wild: every other beat keeps its time. Past the stream's first seconds
    the wild beat is stamped when it arrived; before, while the stream's pace is unknown, a
    beat far ahead passes as a silence."""
    beat_s = 1.25

    def one_wild_beat(kind: str, counters: np.ndarray, ts: np.ndarray, _: float) -> np.ndarray:
        return np.where(counters == wild, ts + wild_s, ts)

    rr = counter_spec(unique_name, "RR", 0.0)
    run = run_live([rr], 15.0, fault=one_wild_beat, irregular_hz=1.0 / beat_s)
    n = run.pushed["RR"]
    np.testing.assert_array_equal(run.counters("RR"), np.arange(n))
    assert n >= 10
    offsets_s = run.timestamps("RR") - beat_s * np.arange(n)  # constant on the beat grid
    assert np.ptp(np.delete(offsets_s, wild)) < 1e-3
    assert run.sources["RR"].guard.stats.n_jumps <= 2
    if wild * beat_s > 5.0:  # past the first 5 s of arrivals, when the pace is known
        (at_wild,) = [c for c in run.collected.chunks["RR"] if wild in c.data[:, -1]]
        assert at_wild.arrival_s is not None
        assert at_wild.timestamps[-1] == pytest.approx(at_wild.arrival_s[-1], abs=1e-6)


def test_recording_source_salvages_a_recording_built_in_memory() -> None:
    rec = _signals()
    ecg = rec.streams["ecg"]
    bad = ecg.timestamps.copy()
    bad[[10, 20_000]] = [np.nan, -np.inf]
    rec.streams["ecg"] = RecordedStream(ECG, bad, ecg.data)
    source = RecordingSource(rec, chunk_s=1.0)
    back = asyncio.run(collect(source))
    np.testing.assert_allclose(back.streams["ecg"].timestamps, ecg.timestamps, atol=1e-9)
    assert source.recording.meta["timestamps"]["ecg"]["n_nonfinite"] == 2


def test_a_replayed_sessions_chunks_stay_as_they_arrived_around_a_dropped_beat(
    tmp_path: Path,
) -> None:
    """A recorded RR stream with one wild beat: salvage drops it, and the replay still hands
    out every other beat in the chunk it arrived in live (the arrival log is adjusted)."""
    rr = StreamSpec("RR", "f-RR", ("RR",), ("ms",), 0.0, "f-rr", "double64")
    beats_s = 100.0 + 0.8 * np.arange(40)
    sink = RecorderSink(tmp_path / "rec", subject="F01", live=False, fsync=False)
    sink.open(None)
    for lo in range(0, 40, 2):  # two beats a notification
        sink.on_chunk(Chunk(rr, beats_s[lo : lo + 2], np.arange(lo, lo + 2.0)[:, None]))  # beat no.
    sink.close()
    assert sink.path is not None
    wild = 13
    bad = _with_bad_timestamp(sink.path, tmp_path / "bad", "rr", wild, beats_s[wild] + 1e6)
    _, recording = read_recording(bad)
    assert recording.meta["timestamps"]["rr"]["n_dropped"] == 1

    async def replay() -> list[Chunk]:
        source = RecordingSource(recording)
        return [e async for e in source.events() if isinstance(e, Chunk)]

    chunks = asyncio.run(replay())
    kept = [[i for i in (lo, lo + 1) if i != wild] for lo in range(0, 40, 2)]
    assert [c.timestamps.tolist() for c in chunks] == [beats_s[k].tolist() for k in kept]
    assert [c.data[:, 0].tolist() for c in chunks] == kept


def test_e4_line_with_a_wild_timestamp_keeps_the_stream() -> None:
    client = E4StreamingClient(load_profile("empatica-e4"), "9ff167")
    t = 999.0 + np.arange(64) / 64.0  # one second of BVP, arriving at t = 1000 s
    lines = [f"E4_Bvp {x:.6f} {i}.0".encode() for i, x in enumerate(t)]
    lines[30] = f"E4_Bvp {t[30] + 1e6:.6f} 30.0".encode()
    (bvp,) = [c for c in client._decode(lines, 1000.0, 0.0) if c.spec.kind == "PPG"]
    np.testing.assert_array_equal(bvp.data[:, 0], np.arange(64))
    np.testing.assert_allclose(bvp.timestamps, t, atol=1e-5)
    checks = client.timestamp_stats()[bvp.spec.source_id]
    assert checks.n_jumps == 1 and checks.n_repaired == 1  # a lone outlier, re-stamped alone


@pytest.mark.parametrize("wild_s", [-5.0, 100.0])
def test_e4_ibi_at_48_bpm_with_a_wild_timestamp_keeps_its_clock(wild_s: float) -> None:
    """Beats 1.25 s apart, each line arriving 50 ms after its beat: one wild timestamp once
    made every later beat a jump, stamped at its arrival."""
    client = E4StreamingClient(load_profile("empatica-e4"), "9ff167")
    beats = 1000.0 + 1.25 * np.arange(60)
    sent = beats.copy()
    sent[30] += wild_s
    stamps = []
    for beat_s, stamp_s in zip(beats, sent, strict=True):
        line = f"E4_Ibi {stamp_s:.6f} 1.250000".encode()
        (rr,) = [c for c in client._decode([line], beat_s + 0.05, 0.0) if c.spec.kind == "RR"]
        stamps.append(rr.timestamps[0])
    np.testing.assert_allclose(stamps[31:], beats[31:], rtol=0, atol=1e-6)
    checks = client.timestamp_stats()[rr.spec.source_id]
    assert checks.n_jumps == 2 and checks.n_dropped == 0
