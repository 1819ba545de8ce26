"""Session reader: damaged, truncated, empty files and wrong layouts give clear errors that name
the file, and everything before the damage is kept."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from emostream.core.chunk import Chunk
from emostream.core.spec import StreamSpec
from emostream.errors import RecordingError
from emostream.formats import session
from emostream.formats.registry import detect_format
from emostream.formats.session.reader import DamagedRecordingError
from emostream.sinks.recorder import RecorderSink

ECG = StreamSpec("ECG", "s-ECG", ("counter",), ("",), 500.0, "s-ecg", "double64")
EDA = StreamSpec("EDA", "s-EDA", ("EDA",), ("uS",), 4.0, "s-eda", "double64")
N_ECG = 150_000  # three Parquet row groups


def _session(root: Path, *, close: bool = True) -> tuple[Path, RecorderSink]:
    sink = RecorderSink(root, subject="P01", live=False, fsync=False)
    sink.open(None)
    for k0 in range(0, N_ECG, 5000):
        k = np.arange(k0, k0 + 5000)
        sink.on_chunk(Chunk(ECG, k / 500.0, k[:, None].astype(float)))
        sink.on_chunk(Chunk(EDA, np.array([k0 / 500.0]), np.array([[1.0]])))
    if close:
        sink.close()
    assert sink.path is not None
    return sink.path, sink


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path, _ = _session(tmp_path_factory.mktemp("pristine"))
    return path


@pytest.fixture
def copy(pristine: Path, tmp_path: Path) -> Path:
    dst = tmp_path / pristine.name
    shutil.copytree(pristine, dst)
    return dst


def test_detected_and_read(copy: Path) -> None:
    assert detect_format(copy) == "session"
    rec = session.read(copy)
    np.testing.assert_array_equal(rec.streams["ecg"].data[:, 0], np.arange(N_ECG))
    assert rec.meta["damage"] == [] and rec.meta["recovery"] == []


def test_truncated_parquet_names_the_file_and_keeps_the_other_streams(copy: Path) -> None:
    path = copy / "streams" / "ecg.parquet"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(DamagedRecordingError, match="unreadable Parquet") as info:
        session.read(copy)
    assert info.value.file == str(path)
    partial = info.value.partial
    assert len(partial.streams["eda"].timestamps) == N_ECG // 5000
    assert len(partial.streams["ecg"].timestamps) == 0
    again = session.read(copy, partial=True)
    assert again.meta["damage"] and str(path) in again.meta["damage"][0]


def test_corrupt_row_group_keeps_the_rows_before_it(copy: Path) -> None:
    path = copy / "streams" / "ecg.parquet"
    meta = pq.ParquetFile(path).metadata
    start = meta.row_group(1).column(0).data_page_offset
    raw = bytearray(path.read_bytes())
    raw[start : start + 4096] = b"\xff" * 4096
    path.write_bytes(bytes(raw))
    with pytest.raises(DamagedRecordingError, match="row group 1 is damaged") as info:
        session.read(copy)
    assert info.value.file == str(path)
    kept = info.value.partial.streams["ecg"].data[:, 0]
    assert len(kept) == meta.row_group(0).num_rows
    np.testing.assert_array_equal(kept, np.arange(len(kept)))


def test_empty_files(copy: Path) -> None:
    (copy / "streams" / "eda.parquet").write_bytes(b"")
    with pytest.raises(DamagedRecordingError, match="0 bytes") as info:
        session.read(copy)
    assert info.value.file.endswith("eda.parquet")
    (copy / "session.json").write_bytes(b"")
    with pytest.raises(RecordingError, match="not valid JSON") as info:
        session.read(copy)
    assert info.value.file.endswith("session.json")


def test_wrong_folder_layouts(copy: Path, tmp_path: Path) -> None:
    (copy / "streams" / "ecg.parquet").rename(copy / "ecg.parquet")
    with pytest.raises(DamagedRecordingError, match="file is missing") as info:
        session.read(copy)
    assert info.value.file.endswith("streams/ecg.parquet")
    bare = tmp_path / "no-session"
    (bare / "streams").mkdir(parents=True)
    with pytest.raises(RecordingError, match=r"no session\.json"):
        session.read(bare)
    other = tmp_path / "other"
    other.mkdir()
    (other / "session.json").write_text(json.dumps({"format": "something-else"}))
    with pytest.raises(RecordingError, match="not an emostream session"):
        session.read(other)


_DIE_AFTER_RECORDING = """
import os, sys, time
import numpy as np
from emostream.core.chunk import Chunk
from emostream.core.spec import StreamSpec
from emostream.formats.session.files import read_ipc
from emostream.sinks.recorder import RecorderSink

spec = StreamSpec("ECG", "s-ECG", ("counter",), ("",), 500.0, "s-ecg", "double64")
sink = RecorderSink(sys.argv[1], subject="P01", live=False, fsync=False, flush_interval_s=0.05)
sink.open(None)
deadline = time.monotonic() + 30
for k0 in range(0, 50_000, 10_000):  # five flushed batches
    k = np.arange(k0, k0 + 10_000)
    sink.on_chunk(Chunk(spec, k / 500.0, k[:, None].astype(float)))
    while time.monotonic() < deadline:
        table, _ = read_ipc(sink.path / "streams" / "ecg.arrow")
        if table is not None and table.num_rows == k0 + 10_000:
            break
        time.sleep(0.01)
print(sink.path, flush=True)
os._exit(0)  # dies without closing, as a killed process would
"""


def test_crashed_session_with_torn_leftover_is_recovered_up_to_the_damage(
    tmp_path: Path,
) -> None:
    out = subprocess.run(
        [sys.executable, "-c", _DIE_AFTER_RECORDING, str(tmp_path)],
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    path = Path(out.stdout.strip())
    leftover = path / "streams" / "ecg.arrow"
    raw = leftover.read_bytes()
    leftover.write_bytes(raw[: len(raw) * 2 // 3])  # a torn write
    rec = session.read(path)
    assert rec.meta["session"]["status"] == "recovered"
    assert any("ecg.arrow" in note and "damaged after" in note for note in rec.meta["recovery"])
    kept = rec.streams["ecg"].data[:, 0]
    assert 0 < len(kept) < 50_000
    np.testing.assert_array_equal(kept, np.arange(len(kept)))
    assert (path / "streams" / "ecg.parquet").exists() and not leftover.exists()


def test_stream_not_yet_listed_in_session_json_is_recovered(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-c", _DIE_AFTER_RECORDING, str(tmp_path)],
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    path = Path(out.stdout.strip())
    meta = json.loads((path / "session.json").read_text())
    del meta["streams"]["ecg"]  # as if killed between creating the file and listing it
    (path / "session.json").write_text(json.dumps(meta))
    rec = session.read(path)
    np.testing.assert_array_equal(rec.streams["ecg"].data[:, 0], np.arange(50_000))
    assert any("not yet listed" in note for note in rec.meta["recovery"])


def test_streams_of_one_kind_each_keep_their_own_file_and_arrival_dtype(tmp_path: Path) -> None:
    # three wearers' ECG (one kind, three files); float64 values in a float32 stream are kept
    # as they arrived, so a replay hands back the very values the live run saw
    specs = [
        StreamSpec("ECG", f"w{w}-ECG", ("ECG",), ("mV",), 100.0, f"w{w}-ecg", "float32")
        for w in range(3)
    ]
    sink = RecorderSink(tmp_path, subject="P01", live=False, fsync=False)
    sink.open(None)
    sent = {}
    for w, spec in enumerate(specs):
        ts = np.arange(50) / 100.0
        sent[spec.source_id] = w + np.arange(50)[:, None] * (1.0 + 1e-12)
        sink.on_chunk(Chunk(spec, ts, sent[spec.source_id]))
    sink.close()
    rec = session.read(sink.path)
    assert sorted(rec.streams) == ["ecg", "ecg-2", "ecg-3"]
    for stream in rec.streams.values():
        assert stream.data.dtype == np.float64
        np.testing.assert_array_equal(stream.data, sent[stream.spec.source_id])
