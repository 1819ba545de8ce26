"""`emostream run` live from LSL: the synthetic wearer published by `emostream simulate`."""

import os
import subprocess
import sys
import uuid

from emostream.cli import main

PIPELINE = """
[pipeline]
name = "live-test"
[window]
length_s = 30.0
hop_s = 1.0
[[sources]]
device = "lsl-generic"
kinds = ["ECG"]
source_id = "synthetic-wearer:seed{seed}:ecg"
resolve_timeout_s = 60.0
[[sources]]
device = "lsl-generic"
kinds = ["EDA"]
source_id = "synthetic-wearer:seed{seed}:eda"
resolve_timeout_s = 60.0
[features.hrv]
[features.eda]
"""


def test_run_live_from_lsl_outlets(tmp_path, capsys):
    seed = uuid.uuid4().int % 1_000_000
    path = tmp_path / "live.toml"
    path.write_text(PIPELINE.format(seed=seed))
    proc = subprocess.Popen(
        [sys.executable, "-m", "emostream.cli", "simulate", "--seed", str(seed), "--speed", "10",
         "--duration", "900", "--kinds", "ECG,EDA", "--wait-for-consumers", "60"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ.copy(),
    )  # fmt: skip
    try:
        code = main(["run", str(path), "--subject", "S01", "--duration", "12", "--no-lsl",
                     "--record", str(tmp_path / "rec"), "--consent", "record"])  # fmt: skip
    finally:
        proc.kill()
        proc.wait()
    out = capsys.readouterr().out
    assert code == 0
    assert "HR bpm=" in out and "SCL µS=" in out
    assert "ecg:" in out and "eda:" in out and "windows, config" in out
    assert len(list((tmp_path / "rec").glob("sub-S01_ses-1_*/session.json"))) == 1


def test_recording_a_live_person_needs_consent(tmp_path, capsys):
    path = tmp_path / "live.toml"
    path.write_text(PIPELINE.format(seed=0))
    code = main(
        ["run", str(path), "--subject", "S01", "--duration", "1", "--record", str(tmp_path)]
    )
    err = capsys.readouterr().err
    assert code == 2 and "consent" in err


def test_run_shows_device_link_battery_and_signal(tmp_path, capsys):
    """A pipeline on a virtual Polar H10 (real driver, bumble peripheral) shows its link."""
    path = tmp_path / "h10.toml"
    path.write_text(
        '[pipeline]\nname = "h10"\n[window]\nlength_s = 5.0\nhop_s = 5.0\n'
        '[[sources]]\ndevice = "polar-h10"\naddress = "simulate"\n[features.hrv]\n'
    )
    code = main(["run", str(path), "--duration", "15", "--no-lsl", "--no-record"])
    out = capsys.readouterr().out
    assert code == 0
    assert "polar-h10: streaming, battery" in out and "dBm" in out
    assert "ecg:" in out and "rr:" in out


def test_run_with_a_recording_as_source(tmp_path, capsys):
    """A recorded session is a pipeline source too: replayed (here as fast as possible)."""
    assert (
        main(["demo", "--speed", "0", "--duration", "150", "--no-lsl", "--record", str(tmp_path)])
        == 0
    )
    session = next(tmp_path.glob("sub-synthetic_ses-*"))
    demo_windows = capsys.readouterr().out.count("windows, config")
    path = tmp_path / "replay.toml"
    path.write_text(
        f'[pipeline]\nname = "replayed"\n[[sources]]\nrecording = "{session}"\nspeed = 0.0\n'
        "[features.hrv]\n[features.eda]\n"
    )
    assert main(["run", str(path), "--no-lsl", "--no-record"]) == 0
    out = capsys.readouterr().out
    assert demo_windows == 1 and "HR bpm=" in out and "SCL µS=" in out
    both = tmp_path / "both.toml"
    both.write_text(path.read_text().replace("speed = 0.0", 'speed = 0.0\ndevice = "muse"'))
    assert main(["run", str(both), "--no-record"]) == 2
    assert "key 'sources[0]'" in capsys.readouterr().err
