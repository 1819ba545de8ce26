"""RecorderSink: round trip, provenance, consent, SIGKILL crash safety, disk full while recording."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from emostream.cli import main
from emostream.consent import consent_record
from emostream.core.chunk import Chunk
from emostream.core.clock import lsl_now_s
from emostream.core.events import ClockOffset, Gap
from emostream.core.spec import StreamSpec, markers_spec
from emostream.errors import RecordingError, UsageError
from emostream.features.base import FeatureVector
from emostream.formats import session
from emostream.formats.session.layout import ARRIVAL_LOG_KEY
from emostream.sinks.config import RecordConfig
from emostream.sinks.recorder import RecorderSink

ECG = StreamSpec("ECG", "rec-ECG", ("ECG", "counter"), ("uV", ""), 500.0, "rec-ecg", "float32")
EDA = StreamSpec("EDA", "rec-EDA", ("EDA",), ("uS",), 4.0, "rec-eda", "double64")
MARKERS = markers_spec("rec-markers", "rec-markers")


def _ecg_chunk(k0: int, n: int, t0: float = 100.0) -> Chunk:
    k = np.arange(k0, k0 + n)
    data = np.column_stack((np.sin(k / 50.0), k)).astype(np.float32)
    return Chunk(ECG, t0 + k / ECG.rate_hz, data)


def _record_some(sink: RecorderSink) -> list[Chunk]:
    sink.open(None)
    sent = []
    for i in range(20):
        ecg = _ecg_chunk(i * 25, 25)  # each sample with its own raw arrival time
        sent.append(Chunk(ECG, ecg.timestamps, ecg.data, ecg.timestamps + 0.040))
        sink.on_chunk(sent[-1])
        if i % 5 == 0:
            sent.append(Chunk.from_arrays(EDA, [100.0 + i * 0.05], [[0.5 + i]]))
            sink.on_chunk(sent[-1])
        if i == 10:
            sent.append(Chunk.from_arrays(MARKERS, [100.5], [["stress"]]))
            sink.on_chunk(sent[-1])
            sink.on_gap(Gap("rec-eda", 100.3, 100.6, "reconnect"))
    fv = FeatureVector(90.0, 100.0, values={"hr_bpm": 61.5}, coverage={"ecg": 1.0})
    sink.on_window(fv, {"t_end": 100.0, "state": "calm", "p_calm": np.float64(0.75), "f": ("a",)})
    sink.on_marker(100.0, "label_request")
    sink.record_clock_offset("rec-ecg", 100.0, -0.0021)
    sink.close()
    return sent


def test_round_trip_keeps_values_dtypes_and_arrival_order(tmp_path: Path) -> None:
    sink = RecorderSink(tmp_path, subject="P07", live=False)
    sent = _record_some(sink)
    assert sink.path is not None and sink.path.name.startswith("sub-P07_ses-1_")
    assert not list(sink.path.rglob("*.arrow")) and not list(sink.path.rglob("*.jsonl"))
    rec = session.read(sink.path)
    ecg = np.concatenate([c.data for c in sent if c.spec == ECG])
    np.testing.assert_array_equal(rec.streams["ecg"].data, ecg)
    assert rec.streams["ecg"].data.dtype == np.float32
    arrivals = pq.read_table(sink.path / "streams" / "ecg.parquet").column("arrival_s")
    expected_arrivals = np.concatenate([c.arrival_s for c in sent if c.spec == ECG])
    np.testing.assert_array_equal(arrivals.to_numpy(), expected_arrivals)
    assert rec.streams["markers"].data[0, 0] == "stress"
    log = rec.meta[ARRIVAL_LOG_KEY]
    order = [
        (log.keys[s] if s >= 0 else "gap", int(n))
        for s, n in zip(log.stream, log.n_samples, strict=True)
    ]
    expected = [(c.spec.kind.lower(), len(c)) for c in sent]
    expected.insert(expected.index(("markers", 1)) + 1, ("gap", 0))
    assert order == expected
    assert log.gaps == (Gap("rec-eda", 100.3, 100.6, "reconnect"),)
    assert rec.meta["features"].to_pylist() == [
        {"t_start": 90.0, "t_end": 100.0, "hr_bpm": 61.5, "coverage_ecg": 1.0}
    ]
    assert rec.meta["predictions"].to_pylist() == [
        {"t_end": 100.0, "state": "calm", "p_calm": 0.75, "f": ["a"]}
    ]
    assert sorted(rec.meta["events"].column("kind").to_pylist()) == ["clock_offset", "marker"]
    meta = rec.meta["session"]
    assert meta["status"] == "complete" and meta["subject"] == "P07"
    assert {"unix_s", "lsl_s", "utc"} <= set(meta["started"]) and meta["ended"]["lsl_s"] >= meta[
        "started"
    ]["lsl_s"]
    assert meta["software"]["emostream"] and meta["software"]["pyarrow"]
    assert rec.unix_offset_s == pytest.approx(meta["started"]["unix_s"] - meta["started"]["lsl_s"])


def test_sessions_are_numbered_per_subject(tmp_path: Path) -> None:
    first, second = (RecorderSink(tmp_path, subject="P01", live=False) for _ in range(2))
    first.open(None)
    second.open(None)
    first.close()
    second.close()
    assert first.path.name.split("_")[1] == "ses-1"
    assert second.path.name.split("_")[1] == "ses-2"


def test_live_recording_without_consent_is_refused_and_says_how(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"--consent record") as info:
        RecorderSink(tmp_path, subject="P01", live=True)
    assert "[record] consent" in str(info.value)
    assert not any(tmp_path.iterdir())


def test_consent_scope_is_saved(tmp_path: Path) -> None:
    cfg = RecordConfig(enabled=True, dir=str(tmp_path), consent="record,research")
    sink = RecorderSink.from_config(cfg, live=True, subject="P02")
    sink.open({"pipeline": "demo", "devices": [{"model": "H10", "address": "A0:B1:C2:D3:E4:F5"}]})
    sink.close()
    meta = json.loads((sink.path / "session.json").read_text())
    assert meta["consent"]["scope"] == ["record", "research"]
    assert meta["consent"]["stated_via"] == "pipeline [record] consent"
    assert meta["run"]["devices"] == [{"model": "H10"}]  # the device address is not saved


@pytest.mark.parametrize("subject", ["Jane Doe", "p/../x", ""])
def test_subject_must_be_a_pseudonym(tmp_path: Path, subject: str) -> None:
    with pytest.raises(UsageError, match="pseudonym"):
        RecorderSink(tmp_path, subject=subject, consent=consent_record("P1", "record", "test"))


#: the child kills itself this long after the recorder has written its first stream file
#: (so the start-up of a loaded machine is not counted as recording time)
KILL_AFTER_S = 3.0

_CHILD = textwrap.dedent(
    """
    import json, os, signal, sys, time
    import numpy as np
    from emostream.core.chunk import Chunk
    from emostream.core.clock import lsl_now_s
    from emostream.core.spec import StreamSpec, markers_spec
    from emostream.sinks.recorder import RecorderSink

    specs = {
        "ecg": StreamSpec("ECG", "crash-ECG", ("counter",), ("",), 500.0, "crash-ecg"),
        "eda": StreamSpec("EDA", "crash-EDA", ("counter",), ("",), 4.0, "crash-eda"),
        "markers": markers_spec("crash-markers", "crash-markers"),
    }
    rates = {"ecg": 500.0, "eda": 4.0, "markers": 2.0}
    sink = RecorderSink(sys.argv[1], subject="crash", live=False)
    sink.open(None)
    print(sink.path, flush=True)
    first_file = sink.path / "streams" / "ecg.arrow"
    t0 = lsl_now_s()
    armed_at = None
    sent = dict.fromkeys(specs, 0)
    handed = [(t0, dict(sent))]
    while True:
        now = lsl_now_s()
        for key, spec in specs.items():
            due = int((now - t0) * rates[key]) + 1
            if due > sent[key]:
                k = np.arange(sent[key], due)
                ts = t0 + k / rates[key]
                data = [[str(i)] for i in k] if spec.is_markers else k.astype(float)
                sink.on_chunk(Chunk.from_arrays(spec, ts, data))
                sent[key] = due
        handed.append((now, dict(sent)))
        if armed_at is None and first_file.exists() and first_file.stat().st_size > 0:
            armed_at = now
        if armed_at is not None and now - armed_at >= float(sys.argv[2]):
            # what the sink had been handed 1 s before, then a kill that gives it no chance
            # to save anything
            print(json.dumps([n for t, n in handed if t <= now - 1.0][-1:]), flush=True)
            os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(0.02)
    """
)


def test_sigkill_mid_session_loses_at_most_one_second_per_stream(tmp_path: Path) -> None:
    """Everything the killed process had handed to the sink 1 s before the kill is on disk
    (it flushes every 0.5 s). Counted against the process's own hand-over, so a slow machine
    (a producer that falls behind its clock) does not change the verdict."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(tmp_path), str(KILL_AFTER_S)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        folder = Path(proc.stdout.readline().strip())
        (handed,) = json.loads(proc.stdout.readline())
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        proc.kill()
    assert json.loads((folder / "session.json").read_text())["status"] == "recording"
    rec = session.read(folder)  # recovers: finalises the leftover files
    assert rec.meta["session"]["status"] == "recovered"
    assert not list(folder.rglob("*.arrow"))
    for key in ("ecg", "eda", "markers"):
        stream = rec.streams[key]
        kept = len(stream.timestamps)
        counter = stream.data[:, 0].astype(float)
        np.testing.assert_array_equal(counter, np.arange(kept), err_msg=key)
        print(f"{key}: {kept} samples kept, {handed[key]} handed to the sink 1 s before the kill")
        assert kept >= handed[key], f"{key}: lost samples handed over 1 s before the kill"


def _mount_tmpfs(path: Path, size: str) -> bool:
    path.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
        capture_output=True,
        check=False,
    )
    return result.returncode == 0


def test_disk_full_is_reported_and_keeps_everything_before(tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    if not _mount_tmpfs(disk, "1m"):
        pytest.skip("needs root to mount a 1 MB tmpfs that can fill up")
    errors: list[RecordingError] = []
    failed = threading.Event()
    try:
        sink = RecorderSink(
            disk, subject="P01", live=False, flush_interval_s=0.05,
            on_error=lambda e: (errors.append(e), failed.set()),
        )  # fmt: skip
        sink.open(None)
        k = 0
        while not failed.is_set():
            assert k < 10_000_000, "a 1 MB disk never filled"
            sink.on_chunk(_ecg_chunk(k, 250))  # the live pipeline keeps calling the hooks
            k += 250
            failed.wait(0.005)
        sink.on_chunk(_ecg_chunk(k, 250))  # after the failure: no exception
        sink.on_window(FeatureVector(0.0, 1.0), None)
        sink.close()
        assert "No space left on device" in str(errors[0])
        assert str(disk) in str(errors[0])
        assert sink.n_dropped_samples > 0
        copy = tmp_path / "copy"
        shutil.copytree(sink.path, copy)
    finally:
        subprocess.run(["umount", str(disk)], check=False)
    rec = session.read(copy)
    counter = rec.streams["ecg"].data[:, 1]
    assert len(counter) * 24 > 500_000  # over half the 1 MB disk holds readable samples
    np.testing.assert_array_equal(counter, np.arange(len(counter), dtype=np.float32))


def test_process_on_a_recorded_demo_run_reproduces_its_features_and_predictions(
    tmp_path: Path,
) -> None:
    """A demo run of the synthetic wearer is recorded; `emostream process` on the session
    (same config from session.json, same initial model state) emits identical rows."""
    from emostream.pipeline.build import build_live_source, build_model
    from emostream.pipeline.config import load_pipeline
    from emostream.pipeline.launch import run_session

    config = load_pipeline("demo")
    source = build_live_source(config, 0, speed=0, t0_s=5000.0)  # as fast as possible
    source.duration_s = 480.0
    recorder = RecorderSink(tmp_path / "rec", subject="P01", live=False)
    live = run_session(
        config, [source], mode="demo", model=build_model(config, None), sinks=[recorder]
    )
    assert len(live.prediction_rows) > 50
    out = tmp_path / "processed"
    assert main(["process", str(recorder.path), "--out", str(out), "--quiet"]) == 0

    def rows(path: Path) -> list[dict]:
        return [
            {k: v for k, v in r.items() if v is not None} for r in pq.read_table(path).to_pylist()
        ]

    processed = rows(out / "features.parquet")
    assert len(processed) == len(live.feature_rows)
    for got, want in zip(processed, live.feature_rows, strict=True):
        assert got == want, {
            k: (got.get(k), want.get(k)) for k in {*got, *want} if got.get(k) != want.get(k)
        }
    assert rows(out / "predictions.parquet") == live.prediction_rows
    recorded = session.read(recorder.path)
    assert [
        {k: v for k, v in r.items() if v is not None} for r in recorded.meta["features"].to_pylist()
    ] == live.feature_rows


def test_clock_offsets_of_an_lsl_source_are_recorded(tmp_path: Path, unique_name: str) -> None:
    from emostream.sinks.lsl import StreamOutlets
    from emostream.sources.lsl import LslQuery, LslSource

    spec = StreamSpec("ECG", unique_name, ("ECG",), ("uV",), 100.0, f"{unique_name}-ecg")
    outlets = StreamOutlets([spec])
    source = LslSource(LslQuery(source_id=spec.source_id), resolve_timeout_s=10.0)
    sink = RecorderSink(tmp_path, subject="P01", live=False)
    sink.open(None)
    stop = threading.Event()

    def push() -> None:
        k = 0
        while not stop.wait(0.01):
            outlets.push(
                Chunk(spec, lsl_now_s() - np.arange(1, -1, -1) * 0.01, np.ones((2, 1)) * k)
            )
            k += 1

    pusher = threading.Thread(target=push)
    pusher.start()

    async def consume() -> None:
        n = 0
        async for event in source.events():
            if isinstance(event, Chunk):
                sink.on_chunk(event)
                n += len(event)
            elif isinstance(event, ClockOffset):
                sink.on_event(event)
            if n >= 50:
                break
        await source.aclose()

    try:
        asyncio.run(consume())
    finally:
        stop.set()
        pusher.join()
    sink.close()
    events = session.read(sink.path).meta["events"].to_pylist()
    offsets = [e for e in events if e["kind"] == "clock_offset"]
    assert offsets and offsets[0]["source_id"] == spec.source_id
    assert offsets[0]["value"] == pytest.approx(source.clock_offsets[0].offset_s)
