import numpy as np
import pytest

from emostream.errors import RecordingError
from emostream.formats import wfdb


def write_record(folder, header_lines: list[str], frames: np.ndarray) -> None:
    (folder / "rec.hea").write_text("\n".join(header_lines) + "\n")
    frames.astype("<i2").tofile(folder / "rec.dat")


def test_reads_frames_gains_baselines_and_rates(tmp_path):
    frames = np.array([[10, 20, 100, 3], [12, 22, 110, 3]])
    write_record(
        tmp_path,
        [
            "rec 3 10 2",
            "rec.dat 16x2 1000 16 0 0 0 0 ECG",
            "rec.dat 16 100(50)/uS 16 0 0 0 0 hand GSR",
            "rec.dat 16 1 16 0 0 0 0 marker",
        ],
        frames,
    )
    assert wfdb.detect(tmp_path / "rec.dat") and wfdb.detect(tmp_path / "rec.hea")
    rec = wfdb.read(tmp_path / "rec.hea")
    ecg, eda = rec.streams["ecg"], rec.streams["eda"]
    assert ecg.spec.rate_hz == 20.0 and ecg.data[:, 0].tolist() == [0.01, 0.02, 0.012, 0.022]
    assert eda.spec.rate_hz == 10.0 and eda.spec.units == ("uS",)
    assert eda.data[:, 0].tolist() == [0.5, 0.6]
    assert rec.meta["skipped_signals"] == ["marker"]


def test_wrong_size_names_the_file(tmp_path):
    write_record(tmp_path, ["rec 1 10 2", "rec.dat 16 1000 16 0 0 0 0 ECG"], np.zeros(3))
    (tmp_path / "rec.dat").write_bytes(b"\x00\x01\x02")
    with pytest.raises(RecordingError) as err:
        wfdb.read(tmp_path / "rec.dat")
    assert err.value.file.endswith("rec.dat")


def test_unsupported_format_is_an_error(tmp_path):
    write_record(tmp_path, ["rec 1 10 2", "rec.dat 212 1000 12 0 0 0 0 ECG"], np.zeros(2))
    with pytest.raises(RecordingError, match="format 212"):
        wfdb.read(tmp_path / "rec.hea")


def test_drive05(shared_data):
    rec = wfdb.read(shared_data / "drivedb" / "drive05.dat")
    assert rec.streams["ecg"].spec.rate_hz == 496.0
    assert rec.streams["rsp"].spec.rate_hz == 31.0
    assert {"eda", "eda_2", "hr"} <= rec.streams.keys()
    assert 80 * 60 < rec.streams["ecg"].duration_s < 90 * 60
