"""`emostream export SESSION --format csv|edf|xdf`."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from emostream.cli import main
from emostream.core.chunk import Chunk
from emostream.core.spec import StreamSpec, markers_spec
from emostream.features.base import FeatureVector
from emostream.formats import edf, xdf
from emostream.sinks.recorder import RecorderSink

ECG = StreamSpec("ECG", "x-ECG", ("ECG",), ("uV",), 250.0, "x-ecg", "double64")
MARKERS = markers_spec("x-M", "x-m")


@pytest.fixture
def session(tmp_path: Path) -> Path:
    sink = RecorderSink(tmp_path / "rec", subject="P03", live=False)
    sink.open(None)
    k = np.arange(250 * 12)
    for lo in range(0, len(k), 25):
        part = k[lo : lo + 25]
        sink.on_chunk(Chunk(ECG, 10.0 + part / 250.0, (100 * np.sin(part / 25.0))[:, None]))
    sink.on_chunk(Chunk.from_arrays(MARKERS, [12.0], [["stress"]]))
    sink.on_window(FeatureVector(10.0, 20.0, values={"hr_bpm": 70.0}), None)
    sink.close()
    assert sink.path is not None
    return sink.path


def test_csv(session: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "csv"
    assert main(["export", str(session), "--format", "csv", "--out", str(out)]) == 0
    assert "wrote 3 file(s)" in capsys.readouterr().out
    with (out / "ecg.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 250 * 12 and float(rows[1]["timestamp"]) == pytest.approx(10.004)
    assert float(rows[1]["ECG"]) == pytest.approx(100 * np.sin(1 / 25.0))
    assert (out / "markers.csv").read_text().splitlines()[1] == '12,"stress"'
    assert "hr_bpm" in (out / "features.csv").read_text()


def test_edf_and_xdf(session: Path, tmp_path: Path) -> None:
    assert main(["export", str(session), "--format", "edf", "--out", str(tmp_path / "s.edf")]) == 0
    back = edf.read(tmp_path / "s.edf")
    np.testing.assert_allclose(
        back.streams["ecg"].data[:, 0], 100 * np.sin(np.arange(3000) / 25.0), atol=200 / 65535 * 2
    )
    assert back.streams["markers"].data[0, 0] == "stress"
    assert main(["export", str(session), "--format", "xdf", "--out", str(tmp_path / "s.xdf")]) == 0
    again = xdf.read(tmp_path / "s.xdf", synchronize_clocks=False, dejitter_timestamps=False)
    np.testing.assert_array_equal(
        again.streams["ecg"].data[:, 0], 100 * np.sin(np.arange(3000) / 25.0)
    )


def test_refuses_to_overwrite_and_bad_format(
    session: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "exists.edf"
    target.write_bytes(b"keep me")
    assert main(["export", str(session), "--format", "edf", "--out", str(target)]) == 2
    assert "exists" in capsys.readouterr().err and target.read_bytes() == b"keep me"
    assert main(["export", str(session), "--format", "pdf"]) == 2


def test_without_out_the_export_is_written_next_to_the_input(session: Path) -> None:
    before = sorted(p.relative_to(session) for p in session.rglob("*"))
    assert main(["export", str(session), "--format", "csv"]) == 0
    assert main(["export", str(session), "--format", "edf"]) == 0
    assert (session.parent / f"{session.name}-csv" / "ecg.csv").is_file()
    assert (session.parent / f"{session.name}-edf.edf").is_file()
    assert sorted(p.relative_to(session) for p in session.rglob("*")) == before  # untouched
