"""The disk filling up during a recorded run: the run goes on and says so, and the session
stays readable where it is, up to the moment the disk was full."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from emostream.cli import main
from emostream.formats import session


@pytest.fixture
def small_disk(tmp_path: Path):
    path = tmp_path / "disk"
    path.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("needs root to mount a 1 MB tmpfs that can fill up")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(path)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", str(path)], check=False)


def test_disk_full_mid_run(small_disk: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # paced (30× real time), so that each 0.5 s flush holds about 15 s of every stream and the
    # disk fills over several flushes; unpaced, a fast machine's first flush alone fills it
    args = ["demo", "--speed", "30", "--duration", "150", "--no-lsl", "--record", str(small_disk)]
    assert main(args) == 0  # the live pipeline is not stopped by its recorder
    out = capsys.readouterr()
    text = out.out + out.err
    assert "No space left on device" in text and "recording stopped early" in text
    assert "Traceback" not in text
    folder = next(small_disk.iterdir())
    rec = session.read(folder)  # in place, on the still-full disk
    assert any("cannot finalise" in note for note in rec.meta["recovery"])
    for key, stream in rec.streams.items():
        if key != "markers":
            assert len(stream.timestamps) > 0, key
            assert np.all(np.diff(stream.timestamps) > 0), key
    assert len(rec.streams["ecg"].timestamps) >= 250 * 10  # at least 10 s of ECG were kept
