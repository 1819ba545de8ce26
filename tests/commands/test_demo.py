"""End to end: the demo runs the full pipeline with no hardware and ends with a summary."""

import re

import pylsl

from emostream import __version__
from emostream.cli import main
from emostream.formats import session
from emostream.formats.session.files import read_session_json


def test_demo_runs_to_the_end_with_a_summary(capsys, tmp_path):
    code = main(
        ["demo", "--speed", "0", "--duration", "600", "--no-lsl", "--record", str(tmp_path)]
    )
    out = capsys.readouterr().out
    assert code == 0
    sessions = list(tmp_path.glob("sub-synthetic_ses-*"))
    assert len(sessions) == 1 and (sessions[0] / "session.json").is_file()
    assert f"recorded to {sessions[0]}" in out.replace("\n", "")
    assert "summary:" in out and "stress" in out and "baseline" in out
    assert "HR bpm=" in out and "SCL µS=" in out
    assert "windows, config" in out
    # provenance: the recording and the summary name the software that produced them
    run = read_session_json(sessions[0])["run"]
    assert run["software_version"] == __version__ and run["config_hash"]
    assert f"config {run['config_hash']}, emostream {__version__}" in out.replace("\n", "")
    # the prequential accuracy climbs as the phase markers teach the model
    accuracy_pct = [int(a) for a in re.findall(r"acc=(\d+)%", out)]
    assert len(accuracy_pct) >= 3, "the live view shows no prequential accuracy"
    assert accuracy_pct[-1] >= accuracy_pct[0] + 10, accuracy_pct


def test_demo_publishes_features_on_lsl(capsys, unique_name):
    """A plain pylsl inlet finds the demo's feature outlet while it runs and reads plausible
    heart rates from it."""
    import threading

    import numpy as np

    found: list[pylsl.StreamInfo] = []
    rows: list[list[float]] = []
    channels: list[str] = []
    demo_done = threading.Event()

    def read():
        found.extend(pylsl.resolve_byprop("type", "Features", 1, 60.0))
        if not found:
            return
        inlet = pylsl.StreamInlet(found[0], processing_flags=pylsl.proc_none)
        info = inlet.info(10.0)
        ch = info.desc().child("channels").child("channel")
        while not ch.empty():
            channels.append(ch.child_value("label"))
            ch = ch.next_sibling("channel")
        while True:
            sample, t = inlet.pull_sample(timeout=1.0)
            if t is not None:
                rows.append(sample)
            elif demo_done.is_set():
                return

    reader = threading.Thread(target=read)
    reader.start()
    code = main(["demo", "--speed", "5", "--duration", "100", "--no-record"])
    demo_done.set()
    reader.join()
    assert code == 0
    assert found and found[0].name() == "emostream-Features"
    assert len(channels) == found[0].channel_count() and "hr_bpm" in channels
    hr_bpm = np.array(rows)[:, channels.index("hr_bpm")]
    assert hr_bpm.size >= 3, "fewer than 3 windows read from the Features outlet"
    # the synthetic wearer's baseline heart rate is about 70 bpm
    assert np.all(np.isfinite(hr_bpm)) and np.all((hr_bpm > 50) & (hr_bpm < 100))


def test_demo_with_face_and_voice(capsys):
    code = main(
        [
            "demo",
            "--pipeline",
            "demo-av",
            "--speed",
            "0",
            "--duration",
            "130",
            "--no-lsl",
            "--no-record",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "face:100%" in out and "audio:100%" in out
    assert "Smile" in out and "F0 Hz" in out


def test_seed_chooses_the_synthetic_wearer(capsys, tmp_path):
    def ecg(seed: int, run: str):
        args = ["demo", "--speed", "0", "--duration", "90", "--seed", str(seed)]
        assert main([*args, "--no-lsl", "--no-dashboard", "--record", str(tmp_path / run)]) == 0
        (folder,) = (tmp_path / run).iterdir()
        return session.read(folder).streams["ecg"].data[:, 0]

    first, again, other = ecg(5, "a"), ecg(5, "b"), ecg(6, "c")
    capsys.readouterr()
    assert first.size == again.size == other.size == 90 * 250
    assert (first == again).all() and not (first == other).all()
