"""`emostream run --workers N`: one run's wearers hosted by N worker processes.

One process computes one window at a time, so wearers whose data arrives together queue
behind each other, and a single process uses one core for its Python work. With workers,
the parent checks the whole wearer list (config, model files, consent), then starts N copies
of the same command, each hosting every N-th wearer (wearer i goes to worker i mod N, so the
wearers whose windows close one after another alternate between workers). It relays their
output line by line, passes Ctrl-C or SIGTERM on so that each saves its models and closes its
recordings, and exits with the first worker's non-zero status (0 when all succeed). A worker
whose parent ends, however abruptly, stops the same clean way: it watches a pipe from the
parent on its standard input, which closes when the parent is gone.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from typing import IO, TypeVar

T = TypeVar("T")

#: the hidden option that makes `run` a worker: "K/N" hosts wearers K, K+N, K+2N, … (0-based)
WORKER_OPTION = "--worker-of"


def parse_worker(text: str) -> tuple[int, int]:
    """(K, N) from "K/N", with 0 ≤ K < N."""
    k, _, n = text.partition("/")
    index, count = int(k), int(n)
    if not 0 <= index < count:
        raise ValueError(f"worker {text}: need 0 <= K < N")
    return index, count


def worker_wearers(wearers: Sequence[T], index: int, count: int) -> tuple[T, ...]:
    """The wearers worker `index` of `count` hosts: every count-th, from `index`."""
    return tuple(wearers[index::count])


def run_workers(argv: Sequence[str], count: int) -> int:
    """Run `emostream` with `argv` (a `run` command line) in `count` worker processes; relay
    their output; return the first non-zero exit status, or 0."""
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "emostream.cli", *argv, WORKER_OPTION, f"{k}/{count}"],
            stdin=subprocess.PIPE,  # never written: it closes when this process ends
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        for k in range(count)
    ]
    relays = [
        threading.Thread(target=_relay, args=(pipe, out), daemon=True)
        for worker in workers
        for pipe, out in ((worker.stdout, sys.stdout), (worker.stderr, sys.stderr))
    ]
    for relay in relays:
        relay.start()

    def stop(signum: int, frame: object) -> None:  # each worker ends its sessions cleanly
        for worker in workers:
            with contextlib.suppress(ProcessLookupError):
                worker.send_signal(signal.SIGTERM)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        codes = [worker.wait() for worker in workers]
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    for relay in relays:
        relay.join()
    # a worker killed by a signal (negative status) counts as a failure
    return next((code if code > 0 else 1 for code in codes if code), 0)


def end_with_parent() -> None:
    """In a worker: once the parent's pipe on stdin closes, send output nowhere (no one reads
    it any more, and a write must not fail) and SIGTERM itself: a clean stop."""

    def watch() -> None:
        with contextlib.suppress(OSError, ValueError):
            while os.read(sys.stdin.fileno(), 4096):  # not the buffered reader: its lock
                pass  # would hold up the interpreter's exit
        nowhere = os.open(os.devnull, os.O_WRONLY)
        os.dup2(nowhere, sys.stdout.fileno())
        os.dup2(nowhere, sys.stderr.fileno())
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="emostream-parent-watch", daemon=True).start()


def _relay(pipe: IO[str] | None, out: IO[str]) -> None:
    """Copy a worker's lines to ours as they come (whole lines, so workers never interleave
    within a line)."""
    if pipe is None:
        return
    for line in pipe:
        out.write(line)
        out.flush()
