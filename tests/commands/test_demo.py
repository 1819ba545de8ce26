"""End to end: the demo runs the full pipeline with no hardware and ends with a summary."""

import pylsl

from emostream.cli import main


def test_demo_runs_to_the_end_with_a_summary(capsys, tmp_path):
    code = main(
        ["demo", "--speed", "0", "--duration", "420", "--no-lsl", "--record", str(tmp_path)]
    )
    out = capsys.readouterr().out
    assert code == 0
    sessions = list(tmp_path.glob("sub-synthetic_ses-*"))
    assert len(sessions) == 1 and (sessions[0] / "session.json").is_file()
    assert f"recorded to {sessions[0]}" in out.replace("\n", "")
    assert "summary:" in out and "stress" in out and "baseline" in out
    assert "HR bpm=" in out and "SCL µS=" in out
    assert "windows, config" in out


def test_demo_publishes_features_on_lsl(capsys, unique_name):
    """A plain pylsl inlet can find the demo's feature outlet while it runs."""
    import threading

    found: list[pylsl.StreamInfo] = []

    def look():
        found.extend(pylsl.resolve_byprop("type", "Features", 1, 60.0))

    watcher = threading.Thread(target=look)
    watcher.start()
    code = main(["demo", "--speed", "5", "--duration", "100", "--no-record"])
    watcher.join()
    assert code == 0
    assert found and found[0].name() == "emostream-Features"
    assert found[0].channel_count() > 5


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
