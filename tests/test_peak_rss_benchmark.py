"""The memory benchmark's sampling (`benchmarks/peak_rss.py`): the peaks of the command's own
process and of the processes it starts are told apart, and `until` stops a command once its
stderr shows the text, with no stdout to compare; with `--own-caches` each version has a
feature cache of its own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from benchmarks.peak_rss import REPO, run_turn, version_env

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


def test_with_own_caches_each_version_runs_its_code_with_a_feature_cache_of_its_own(
    tmp_path: Path,
) -> None:
    probe = (
        "import emostream, emostream.datasets.cache as cache;"
        "print(emostream.__file__); print(cache.default_dir())"
    )
    env = version_env(REPO, tmp_path / "cache-0")
    run = subprocess.run(
        [sys.executable, "-P", "-c", probe], env=env, cwd=tmp_path, capture_output=True,
        text=True, check=True,
    )  # fmt: skip
    package, cache_dir = run.stdout.splitlines()
    assert Path(package) == REPO / "emostream" / "__init__.py"
    assert Path(cache_dir) == tmp_path / "cache-0" / "emostream" / "features"
    # without the option, the user's cache
    assert version_env(REPO, None).get("XDG_CACHE_HOME") == os.environ.get("XDG_CACHE_HOME")
