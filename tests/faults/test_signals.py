"""SIGTERM and SIGINT mid-session end it cleanly: the recording is finalised and readable.
(SIGKILL loses at most one flush interval: tests/sinks/test_recorder.py.)"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from emostream.formats import session

_CLI = "import sys; from emostream.cli import main; sys.exit(main(sys.argv[1:]))"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_mid_session_finalises_the_recording(tmp_path: Path, sig: signal.Signals) -> None:
    root = tmp_path / "rec"
    args = ["demo", "--speed", "30", "--duration", "3600", "--no-lsl", "--record", str(root)]
    # faulthandler: a child that does not stop is aborted and prints every thread's stack
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
           "PYTHONFAULTHANDLER": "1"}  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-c", _CLI, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
    )
    lines: list[bytes] = []  # bytes: a decoding error must not stop the reader (and the child)
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)  # type: ignore[arg-type]
    reader.start()
    try:
        # the first window written to disk: a file another process fills, so it is polled
        deadline = time.monotonic() + 120.0
        while not any(p.stat().st_size for p in root.glob("*/features.jsonl")):
            assert proc.poll() is None, b"".join(lines).decode(errors="replace")
            assert time.monotonic() < deadline, "no window was recorded"
            time.sleep(0.1)
        folder = next(root.iterdir())
        proc.send_signal(sig)
        try:
            code = proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGABRT)
            proc.wait(timeout=30)
            reader.join(timeout=10)
            pytest.fail(
                f"still running 120 s after {sig.name}:\n"
                + b"".join(lines).decode(errors="replace")
            )
        reader.join(timeout=10)
    finally:
        proc.kill()
    out = b"".join(lines).decode(errors="replace")
    assert code == 0, out
    assert "Traceback" not in out
    meta = json.loads((folder / "session.json").read_text())
    assert meta["status"] == "complete" and meta["ended"] is not None
    assert not list(folder.rglob("*.arrow")) and not list(folder.glob("*.jsonl"))
    rec = session.read(folder)
    assert rec.meta["damage"] == [] and len(rec.streams["ecg"].timestamps) > 0
    assert rec.meta["features"].num_rows > 0
