"""Each test process's own temporary folder, and the removal of those a killed process left.

A run removes its folder when it exits, but a process that is killed (a timed-out mutant run,
pytest-timeout's `os._exit`, a second Ctrl-C) cannot: its folder names its host and process
id, and the next run on that host removes the folders of processes that no longer exist.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import tempfile
from pathlib import Path

PREFIX = "emostream-tests-"
#: "<host> <process id>" of the process that made the folder
OWNER_FILE = "owner"


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        pass
    return True


def remove_abandoned(parent: Path) -> None:
    """Remove the run folders under `parent` whose owning process on this host has ended. A
    folder without a readable owner file (one being created, or not made here) is kept, as is
    one made on another host (a container sharing the folder), whose processes this one cannot
    see."""
    for folder in parent.glob(f"{PREFIX}*"):
        try:
            host, pid = (folder / OWNER_FILE).read_text().split()
            owner_pid = int(pid)
        except (OSError, ValueError):
            continue
        mine = host == socket.gethostname() and owner_pid != os.getpid()
        if mine and not _process_exists(owner_pid):
            shutil.rmtree(folder, ignore_errors=True)


def make_run_folder() -> Path:
    """A new folder for this process, removed when it exits; abandoned ones go first."""
    parent = Path(tempfile.gettempdir())
    remove_abandoned(parent)
    folder = Path(tempfile.mkdtemp(prefix=PREFIX, dir=parent))
    (folder / OWNER_FILE).write_text(f"{socket.gethostname()} {os.getpid()}")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder
