import gzip
import zipfile
from pathlib import Path

import numpy as np
import pytest

from emostream.errors import RecordingError
from emostream.formats import e4


def write_export(folder: Path, gz: bool = False) -> Path:
    folder.mkdir()
    t0 = 1_600_000_000

    def put(name: str, text: str) -> None:
        path = folder / (name + (".gz" if gz else ""))
        if gz:
            path.write_bytes(gzip.compress(text.encode()))
        else:
            path.write_text(text)

    put(
        "BVP.csv",
        f"{t0}.000000\n64.000000\n" + "".join(f"{np.sin(i / 10):.3f}\n" for i in range(640)),
    )
    put("EDA.csv", f"{t0}.000000\n4.000000\n" + "0.5\n" * 40)
    put("TEMP.csv", f"{t0}.000000\n4.000000\n" + "33.1\n" * 40)
    put("ACC.csv", f"{t0}.0, {t0}.0, {t0}.0\n32.0, 32.0, 32.0\n" + "0,0,64\n" * 320)
    put("HR.csv", f"{t0 + 10}.000000\n1.000000\n" + "70.0\n" * 3)
    put("IBI.csv", f"{t0}.000000, IBI\n1.5,0.85\n2.35,0.85\n")
    put("tags.csv", f"{t0 + 4}\n{t0 + 7.5}\n")
    return folder


@pytest.mark.parametrize("gz", [False, True])
def test_reads_every_stream(tmp_path, gz):
    folder = write_export(tmp_path / "export", gz)
    assert e4.detect(folder)
    rec = e4.read(folder)
    assert rec.unix_offset_s == 1_600_000_000
    assert set(rec.streams) == {"ppg", "eda", "temp", "acc", "hr", "rr", "markers"}
    ppg = rec.streams["ppg"]
    assert ppg.spec.kind == "PPG" and ppg.spec.rate_hz == 64.0 and ppg.data.shape == (640, 1)
    assert ppg.timestamps[1] == pytest.approx(1 / 64)
    assert rec.streams["acc"].data[0].tolist() == [0.0, 0.0, 1.0]  # 1/64 g → g
    assert rec.streams["hr"].timestamps[0] == 10.0
    rr = rec.streams["rr"]
    assert rr.spec.channels == ("rri_ms",) and rr.spec.rate_hz == 0.0
    assert rr.timestamps.tolist() == [1.5, 2.35] and rr.data[:, 0].tolist() == [850.0, 850.0]
    assert rec.streams["markers"].timestamps.tolist() == [4.0, 7.5]
    # the recording spans every stream: from the first samples to the late-starting HR's last
    assert (rec.t_start_s, rec.t_end_s, rec.duration_s) == (0.0, 12.0, 12.0)
    ids = {s.spec.source_id for s in rec.streams.values()}
    assert len(ids) == len(rec.streams) and all(i.startswith("e4-") for i in ids)


def test_missing_file_names_the_folder(tmp_path):
    folder = write_export(tmp_path / "export")
    (folder / "EDA.csv").unlink()
    assert not e4.detect(folder)
    with pytest.raises(RecordingError, match=r"EDA\.csv"):
        e4.read(folder)


def test_wrong_layout_names_the_file(tmp_path):
    folder = write_export(tmp_path / "export")
    (folder / "BVP.csv").write_text("time,value\n1,2\n")
    with pytest.raises(RecordingError) as err:
        e4.read(folder)
    assert err.value.file.endswith("BVP.csv")


def test_files_of_two_sessions_are_refused_naming_the_late_one(tmp_path):
    folder = write_export(tmp_path / "export")
    two_days_later = 1_600_000_000 + 2 * 86400
    (folder / "EDA.csv").write_text(f"{two_days_later}.000000\n4.000000\n" + "0.5\n" * 40)
    with pytest.raises(RecordingError, match="within a day") as err:
        e4.read(folder)
    assert err.value.file.endswith("EDA.csv")


def test_not_a_folder(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("1\n")
    assert not e4.detect(path)
    with pytest.raises(RecordingError):
        e4.read(path)


def test_reads_stress_predict_subject(shared_data):
    rec = e4.read(shared_data / "stress_predict" / "Raw_data" / "S02")
    assert 3000 < rec.duration_s < 4000
    assert rec.streams["eda"].spec.units == ("microsiemens",)
    assert abs(rec.streams["ppg"].duration_s - rec.streams["eda"].duration_s) < 2.0


def test_reads_a_zip_archive_in_place(tmp_path):
    folder = write_export(tmp_path / "export")
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in folder.iterdir():
            zf.write(path, path.name)
    assert e4.detect(archive)
    from_zip, from_folder = e4.read(archive), e4.read(folder)
    assert from_zip.unix_offset_s == from_folder.unix_offset_s
    assert set(from_zip.streams) == set(from_folder.streams)
    for key, stream in from_folder.streams.items():
        assert np.array_equal(from_zip.streams[key].timestamps, stream.timestamps)
        assert np.array_equal(from_zip.streams[key].data, stream.data)
    (folder / "EDA.csv").write_text("not,an\nE4 file\n")
    with zipfile.ZipFile(archive, "w") as zf:
        for path in folder.iterdir():
            zf.write(path, path.name)
    with pytest.raises(RecordingError, match=r"export\.zip:EDA\.csv"):
        e4.read(archive)
