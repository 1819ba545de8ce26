"""What /proc says of a process: its resident set size and its child processes."""

from __future__ import annotations

import os


def rss_mb(pid: int) -> float | None:
    """VmRSS of `pid` in MB (None: the process has ended)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def children(pid: int) -> list[int]:
    """The processes that any thread of `pid` started (a Dask nanny starts its worker from
    its event loop's thread, not the main one); empty once `pid` has ended."""
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as listed:
                found += [int(child) for child in listed.read().split()]
    except OSError:
        pass
    return found
