"""EDF/BDF reader (MNE) and EDF+ export: native rates, physical units, annotations, damage."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from edfio import Edf, EdfAnnotation, EdfSignal

from emostream.core.spec import StreamSpec, markers_spec
from emostream.errors import RecordingError, UsageError
from emostream.formats import edf
from emostream.formats.base import RecordedStream, Recording
from emostream.formats.export import export_edf
from emostream.formats.registry import detect_format
from emostream.formats.session.reader import DamagedRecordingError

DURATION_S = 30


@pytest.fixture
def edf_file(tmp_path: Path) -> Path:
    t256 = np.arange(256 * DURATION_S) / 256
    t4 = np.arange(4 * DURATION_S) / 4
    signals = [
        EdfSignal(
            50 * np.sin(2 * np.pi * 10 * t256), 256, label="EEG Fp1", physical_dimension="uV"
        ),
        EdfSignal(
            50 * np.cos(2 * np.pi * 10 * t256), 256, label="EEG Fp2", physical_dimension="uV"
        ),
        EdfSignal(np.sin(2 * np.pi * t256), 256, label="ECG", physical_dimension="mV"),
        EdfSignal(2 + t4 / 10, 4, label="EDA", physical_dimension="uS"),
    ]
    path = tmp_path / "rec.edf"
    Edf(signals, annotations=[EdfAnnotation(3.5, None, "stress")]).write(path)
    return path


def test_signals_keep_their_rates_units_and_values(edf_file: Path) -> None:
    assert detect_format(edf_file) == "edf"
    rec = edf.read(edf_file)
    assert set(rec.streams) == {"eeg", "ecg", "eda", "markers"}
    eeg, eda = rec.streams["eeg"], rec.streams["eda"]
    assert eeg.spec.channels == ("EEG Fp1", "EEG Fp2") and eeg.spec.units == ("uV", "uV")
    assert eeg.spec.rate_hz == 256 and eda.spec.rate_hz == 4 and eda.spec.units == ("uS",)
    t4 = np.arange(4 * DURATION_S) / 4
    np.testing.assert_allclose(eda.timestamps, t4)
    # EDF stores 16-bit integers: values agree to one digital step of each signal's range
    np.testing.assert_allclose(eda.data[:, 0], 2 + t4 / 10, atol=3.0 / 65535 * 2)
    np.testing.assert_allclose(
        eeg.data[:, 0], 50 * np.sin(2 * np.pi * 10 * eeg.timestamps), atol=100 / 65535 * 2
    )
    np.testing.assert_allclose(
        rec.streams["ecg"].data[:, 0], np.sin(2 * np.pi * eeg.timestamps), atol=2 / 65535 * 2
    )
    assert rec.streams["markers"].data[0, 0] == "stress"
    assert rec.streams["markers"].timestamps[0] == pytest.approx(3.5)


def test_truncated_file_keeps_the_complete_records(edf_file: Path) -> None:
    raw = edf_file.read_bytes()
    edf_file.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(DamagedRecordingError, match="file size") as info:
        edf.read(edf_file)
    assert info.value.file == str(edf_file)
    kept = info.value.partial.streams["eda"]
    assert 0 < len(kept.timestamps) < 4 * DURATION_S
    np.testing.assert_allclose(kept.data[:, 0], 2 + kept.timestamps / 10, atol=1e-4)
    assert edf.read(edf_file, partial=True).meta["damage"]


def test_empty_and_garbage_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.edf"
    empty.write_bytes(b"")
    with pytest.raises(RecordingError, match="empty") as info:
        edf.read(empty)
    assert info.value.file == str(empty)
    garbage = tmp_path / "garbage.edf"
    garbage.write_bytes(b"x" * 300)
    with pytest.raises(RecordingError, match=r"garbage\.edf"):
        edf.read(garbage)


def test_export_round_trip_puts_streams_on_their_grid(tmp_path: Path) -> None:
    t = 100.0 + np.arange(500 * 20) / 500
    ecg_spec = StreamSpec("ECG", "x-ECG", ("ECG",), ("uV",), 500.0, "x-ecg")
    eda_spec = StreamSpec("EDA", "x-EDA", ("EDA",), ("uS",), 4.0, "x-eda")
    rr_spec = StreamSpec("RR", "x-RR", ("rr",), ("ms",), 0.0, "x-rr")
    t4 = 100.0 + np.arange(4 * 20) / 4
    marks = np.array([["go"]], dtype=object)
    rec = Recording(
        {
            "ecg": RecordedStream(ecg_spec, t, (200 * np.sin(t))[:, None]),
            "eda": RecordedStream(eda_spec, t4, (1 + t4 / 100)[:, None]),
            "rr": RecordedStream(rr_spec, np.array([100.5, 101.3]), np.array([[800.0], [810.0]])),
            "markers": RecordedStream(markers_spec("x-m", "x-m"), np.array([105.0]), marks),
        },
        unix_offset_s=1.7e9,
    )
    path = export_edf(rec, tmp_path / "out.edf")
    back = edf.read(path)
    assert set(back.streams) == {"ecg", "eda", "markers"}  # RR is irregular: left out
    np.testing.assert_allclose(
        back.streams["ecg"].data[:, 0], 200 * np.sin(t), atol=400 / 65535 * 2
    )
    assert back.streams["eda"].spec.rate_hz == 4
    assert back.streams["markers"].timestamps[0] == pytest.approx(5.0)
    assert back.unix_offset_s == pytest.approx(1.7e9 + 100.0, abs=1.0)
    only_rr = Recording({"rr": rec.streams["rr"]})
    with pytest.raises(UsageError, match="no regularly sampled stream"):
        export_edf(only_rr, tmp_path / "rr.edf")
