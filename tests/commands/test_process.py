"""`emostream process` on real recordings from ../shared/data."""

import json
import subprocess
import sys

import pyarrow.parquet as pq

from emostream.cli import main


def test_process_e4_folder_picks_the_e4_pipeline(shared_data, tmp_path, capsys):
    subject = shared_data / "stress_predict" / "Raw_data" / "S02"
    code = main(["process", str(subject), "--out", str(tmp_path), "--json", "--quiet"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["inputs"][0]["format"] == "e4"
    table = pq.read_table(tmp_path / "features.parquet").to_pandas()
    assert len(table) == summary["inputs"][0]["n_windows"] > 2500
    for column in ("t_start", "t_end", "hr_bpm", "eda_scl_us", "temp_c", "coverage_ppg"):
        assert column in table.columns
    assert (table["t_end"] - table["t_start"] == 60.0).all()
    hr = table["hr_bpm"].dropna()  # absent where BVP quality fails (wrist motion)
    assert len(hr) > 0.2 * len(table) and hr.between(40, 180).all()
    session = json.loads((tmp_path / "session.json").read_text())
    assert session["pipeline"] == "e4-wrist" and session["config_hash"]


def test_process_e4_imports_no_library_that_it_does_not_use(shared_data, tmp_path):
    """The whole command's speed (docs/benchmarks.md) rests on these staying unimported: each
    costs a fresh process 0.2-0.8 s, and none is needed to process an E4 session."""
    subject = shared_data / "stress_predict" / "Raw_data" / "S02"
    command = ["process", str(subject), "--out", str(tmp_path / "out"), "--quiet", "--overwrite"]
    command += ["--cache-dir", str(tmp_path / "cache")]
    code = (
        "import sys\n"
        "from emostream.cli import main\n"
        f"assert main({command!r}) == main({command!r}) == 0\n"  # computed, then from the cache
        "print(' '.join(sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    heavy = {"pandas", "scipy.signal", "scipy.stats", "scipy.optimize", "river.metrics",
             "river.linear_model", "river.optim"}  # fmt: skip
    assert not heavy & set(done.stdout.split())
    assert pq.read_table(tmp_path / "out" / "features.parquet").num_rows > 2500


def test_process_neurokit_csv_needs_its_rate(shared_data, tmp_path, capsys):
    path = shared_data / "neurokit" / "bio_eventrelated_100hz.csv"
    assert main(["process", str(path), "--out", str(tmp_path)]) == 2
    assert "--fs-hz" in capsys.readouterr().err
    assert main(["process", str(path), "--fs-hz", "100", "--out", str(tmp_path), "--quiet"]) == 0
    table = pq.read_table(tmp_path / "features.parquet").to_pandas()
    assert len(table) == 90  # 15 000 samples (0-149.99 s): window ends 60, 61, ..., 149 s
    assert table["eda_scl_us"].notna().all() and table["hr_bpm"].notna().all()


def test_process_several_inputs_writes_a_folder_per_session(shared_data, tmp_path):
    csvs = [
        shared_data / "neurokit" / n
        for n in ("bio_resting_5min_100hz.csv", "bio_resting_8min_100hz.csv")
    ]
    args = ["process", *map(str, csvs), "--fs-hz", "100", "--out", str(tmp_path), "--quiet"]
    assert main(args) == 0
    for csv in csvs:  # each table names its session, so that the tables can be stacked
        table = pq.read_table(tmp_path / csv.stem / "features.parquet").to_pandas()
        assert set(table["recording"]) == {csv.stem}


def test_process_refuses_unknown_inputs_clearly(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("hello")
    assert main(["process", str(tmp_path / "notes.txt"), "--out", str(tmp_path / "o")]) == 2
    assert "not a recognised recording" in capsys.readouterr().err
    assert main(["process", str(tmp_path / "missing"), "--out", str(tmp_path / "o")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_process_a_wav_file_gives_voice_features(tmp_path):
    import numpy as np
    from scipy.io import wavfile

    fs_hz = 16_000
    t = np.arange(12 * fs_hz) / fs_hz
    vowel = sum(np.sin(2 * np.pi * 150.0 * k * t) / k for k in range(1, 8))  # 150 Hz voice
    syllables = (np.sin(2 * np.pi * 2.0 * t) > -0.3).astype(float)
    wavfile.write(
        tmp_path / "speech.wav", fs_hz, (0.2 * vowel * syllables * 32767 / 3).astype(np.int16)
    )
    assert (
        main(["process", str(tmp_path / "speech.wav"), "--out", str(tmp_path / "o"), "--quiet"])
        == 0
    )
    table = pq.read_table(tmp_path / "o" / "features.parquet").to_pandas()
    assert len(table) == 2  # 10 s windows ending at 10 and 11 s (the last sample is at 11.99994 s)
    assert np.allclose(table["voice_f0_mean_hz"], 150.0, rtol=0.02)
