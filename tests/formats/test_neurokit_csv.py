import numpy as np
import pytest

from emostream.errors import RecordingError, UsageError
from emostream.formats import neurokit_csv


def test_reads_known_columns_at_given_rate(tmp_path):
    path = tmp_path / "rec.csv"
    path.write_text("ECG,EDA,Photosensor\n0.1,5.0,1\n0.2,5.1,1\n0.3,5.2,0\n")
    assert neurokit_csv.detect(path)
    rec = neurokit_csv.read(path, fs_hz=100.0)
    assert set(rec.streams) == {"ecg", "eda"}
    assert rec.streams["eda"].spec.kind == "EDA" and rec.streams["eda"].spec.units == (
        "microsiemens",
    )
    np.testing.assert_allclose(rec.streams["ecg"].timestamps, [0.0, 0.01, 0.02])
    # each stream holds its own column
    np.testing.assert_array_equal(rec.streams["ecg"].data[:, 0], [0.1, 0.2, 0.3])
    np.testing.assert_array_equal(rec.streams["eda"].data[:, 0], [5.0, 5.1, 5.2])
    assert rec.meta["skipped_columns"] == ["Photosensor"]


def test_rate_is_required(tmp_path):
    path = tmp_path / "rec.csv"
    path.write_text("ECG\n1\n2\n")
    with pytest.raises(UsageError, match="--fs-hz"):
        neurokit_csv.read(path)


def test_other_csvs_are_not_claimed(tmp_path):
    path = tmp_path / "table.csv"
    path.write_text("time,value\n0,1\n")
    assert not neurokit_csv.detect(path)
    with pytest.raises(RecordingError) as err:
        neurokit_csv.read(path, fs_hz=10.0)
    assert err.value.file.endswith("table.csv")


def test_real_files(shared_data):
    folder = shared_data / "neurokit"
    assert neurokit_csv.detect(folder / "bio_resting_5min_100hz.csv")
    assert not neurokit_csv.detect(folder / "eeg.txt")
    rec = neurokit_csv.read(folder / "bio_resting_5min_100hz.csv", fs_hz=100.0)
    assert set(rec.streams) == {"ecg", "ppg", "rsp"}
    assert rec.duration_s == pytest.approx(300.0, abs=0.1)
