"""The memory benchmark's sampling (`benchmarks/peak_rss.py`): the peaks of the command's own
process and of the processes it starts are told apart, and `until` stops a command once its
stderr shows the text, with no stdout to compare."""

from __future__ import annotations

import os
import sys

from benchmarks.peak_rss import run_turn

#: a process that starts a child holding 200 MB, then waits for it
PARENT_AND_CHILD = """
import subprocess, sys, time
child = "import time; held = b'x' * (200 << 20); time.sleep(2.0)"
subprocess.run([sys.executable, "-c", child], check=True)
print("done")
"""


def test_the_commands_own_peak_and_its_childrens_are_told_apart() -> None:
    turn = run_turn([sys.executable, "-c", PARENT_AND_CHILD], dict(os.environ), until=None)
    assert turn.largest_child_peak_mb > 190
    assert turn.own_peak_mb < 100
    assert turn.stdout_sha256 is not None


def test_until_stops_the_command_after_its_stderr_shows_the_text() -> None:
    waits = "import sys, time; print('ready', file=sys.stderr, flush=True); time.sleep(60)"
    turn = run_turn([sys.executable, "-c", waits], dict(os.environ), until="ready")
    assert turn.stdout_sha256 is None
