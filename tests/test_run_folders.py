"""A killed test process's temporary folder is removed by the next run on its host; the
folders of live processes, of other hosts and without an owner are kept."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from tests.run_folders import OWNER_FILE, PREFIX

REPO_ROOT = Path(__file__).resolve().parents[1]

_HOLDER = """
from tests.run_folders import make_run_folder
print(make_run_folder(), flush=True)
input()
"""


@contextmanager
def holding_process(tmp: Path) -> Iterator[tuple[Path, subprocess.Popen[str]]]:
    """A process that made its run folder under `tmp` and waits; killed on leaving."""
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER],
        cwd=REPO_ROOT,
        env=dict(os.environ, TMPDIR=str(tmp), PYTHONPATH=str(REPO_ROOT)),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        yield Path(holder.stdout.readline().strip()), holder
    finally:
        holder.kill()
        holder.wait()


def test_only_the_folders_of_killed_runs_on_this_host_are_removed(tmp_path: Path) -> None:
    unowned = tmp_path / f"{PREFIX}unowned"
    unowned.mkdir()
    with ExitStack() as processes:
        killed, first = processes.enter_context(holding_process(tmp_path))
        live, _ = processes.enter_context(holding_process(tmp_path))
        assert killed.parent == tmp_path and killed.name.startswith(PREFIX)
        assert killed.is_dir() and live.is_dir()  # the second run kept the first's

        first.kill()
        first.wait()
        assert killed.is_dir()  # its exit handler never ran
        # the same process id on another host (a container sharing the folder)
        elsewhere = tmp_path / f"{PREFIX}elsewhere"
        elsewhere.mkdir()
        (elsewhere / OWNER_FILE).write_text(f"other-{socket.gethostname()} {first.pid}")

        newest, _ = processes.enter_context(holding_process(tmp_path))
        assert not killed.exists()
        assert live.is_dir() and newest.is_dir() and unowned.is_dir() and elsewhere.is_dir()
