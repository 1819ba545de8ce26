"""Peak memory of one `emostream` command: this checkout against another revision, in turns.

    .venv/bin/python benchmarks/peak_rss.py [--baseline REV] [--rounds 2] [--until TEXT]
        [--own-caches] [-- emostream ARGS...]

The command runs with this checkout's `emostream` and with REV's (checked out into a
temporary git worktree), taking turns for `--rounds` rounds, each from this checkout's
folder so that relative paths mean the same. While it runs, the resident set size (VmRSS) of
its process and of each process under it (Dask workers included) is read from /proc every
0.5 s. `--until TEXT` stops the command (SIGTERM to its process group) 5 s after a line of
its stderr contains TEXT, for commands whose memory has settled long before they end (the
candidates of `--select` once the first is scored: `--until LOSO`). Without a command, it
measures the nested selection on six WESAD subjects until its first candidate is scored;
the baseline is HEAD unless given.

Both versions share the user's feature cache, which keys each subject's windows by a hash of
the feature code: when that code differs between them, each turn would overwrite the other
version's entries and compute every feature again. `--own-caches` gives each version a cache
of its own (`XDG_CACHE_HOME` in the temporary folder), filled by one unmeasured warm-up run
per version before the rounds.

Prints, per turn, the peak of the command's own process, the largest peak of the processes
under it and the wall time; then the ratios of the medians of the command's own peaks and
of the wall times (this checkout / REV), and whether the two versions wrote the same stdout
(commands run to their end only).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from procfs import children, rss_mb

REPO = Path(__file__).resolve().parents[1]
SAMPLE_PERIOD_S = 0.5
#: after `--until` matched, the command runs this long more before it is stopped
SETTLE_S = 5.0
DEFAULT_COMMAND = [
    "emostream",
    "evaluate",
    "../shared/data/wesad",
    "--format",
    "wesad",
    "--label-set",
    "binary",
    "--subjects",
    "S2,S3,S4,S5,S6,S7",
    "--seeds",
    "1",
    "--select",
    "--json",
]
DEFAULT_UNTIL = "LOSO"


@dataclass
class Turn:
    wall_s: float
    own_peak_mb: float
    largest_child_peak_mb: float
    stdout_sha256: str | None  # None: stopped by --until


def emostream_argv(command: list[str]) -> list[str]:
    """`emostream ARGS` as this Python runs it, importing emostream from PYTHONPATH (-P: not
    from the folder it runs in)."""
    return [sys.executable, "-P", "-m", "emostream", *command[1:]]


def run_turn(argv: list[str], env: dict[str, str], until: str | None) -> Turn:
    """Run `argv` from this checkout's folder; sample the RSS of its process tree."""
    with tempfile.TemporaryFile() as out:
        start = time.monotonic()
        process = subprocess.Popen(
            argv, cwd=REPO, env=env, stdout=out, stderr=subprocess.PIPE, text=True,
            start_new_session=True,
        )  # fmt: skip
        matched = threading.Event()

        def read_stderr() -> None:
            assert process.stderr is not None
            for line in process.stderr:
                if until is not None and until in line:
                    matched.set()

        threading.Thread(target=read_stderr, daemon=True).start()
        peaks: dict[int, float] = {}
        stop_at: float | None = None
        while process.poll() is None:
            pending = [process.pid]
            while pending:
                pid = pending.pop()
                if (mb := rss_mb(pid)) is not None:
                    peaks[pid] = max(peaks.get(pid, 0.0), mb)
                pending += children(pid)
            if matched.is_set() and stop_at is None:
                stop_at = time.monotonic() + SETTLE_S
            if stop_at is not None and time.monotonic() >= stop_at:
                os.killpg(process.pid, signal.SIGTERM)
                break
            time.sleep(SAMPLE_PERIOD_S)
        process.wait()
        wall_s = time.monotonic() - start
        if stop_at is None and process.returncode != 0:
            raise SystemExit(f"{' '.join(argv)}: exit {process.returncode}")
        out.seek(0)
        digest = None if stop_at is not None else hashlib.sha256(out.read()).hexdigest()
    own = peaks.pop(process.pid, 0.0)
    return Turn(wall_s, own, max(peaks.values(), default=0.0), digest)


def version_env(root: Path, cache_home: Path | None) -> dict[str, str]:
    """The environment that runs the emostream of `root`, with its own `XDG_CACHE_HOME` when
    `cache_home` is given."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    if cache_home is not None:
        env["XDG_CACHE_HOME"] = str(cache_home)
    return env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="HEAD", help="the git revision to compare with")
    parser.add_argument("--rounds", type=int, default=2, help="turns of each version")
    parser.add_argument("--until", help="stop the command 5 s after its stderr shows this")
    parser.add_argument(
        "--own-caches", action="store_true",
        help="a feature cache per version, filled by an unmeasured warm-up run of each",
    )  # fmt: skip
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- emostream ARGS...")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        command, args.until = DEFAULT_COMMAND, args.until or DEFAULT_UNTIL
    if command[0] != "emostream" or args.rounds < 1:
        parser.error("give --rounds >= 1 and the command after --, starting with emostream")
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"load average before the run: {load} on {os.cpu_count()} cores")
    print(f"machine: {platform.machine()}, Python {platform.python_version()}")
    print(f"command: {' '.join(command)}" + (f" (until {args.until!r})" if args.until else ""))
    with tempfile.TemporaryDirectory() as folder:
        baseline = Path(folder) / "baseline"
        subprocess.run(
            ["git", "-C", str(REPO), "worktree", "add", "--detach", str(baseline), args.baseline],
            check=True, capture_output=True,
        )  # fmt: skip
        versions = {"this checkout": REPO, args.baseline: baseline}
        envs = {
            name: version_env(root, Path(folder) / f"cache-{k}" if args.own_caches else None)
            for k, (name, root) in enumerate(versions.items())
        }
        turns: dict[str, list[Turn]] = {name: [] for name in envs}
        try:
            if args.own_caches:
                for name, env in envs.items():
                    t = run_turn(emostream_argv(command), env, args.until)
                    print(f"  warm-up, {name:<14} {t.wall_s:7.1f} s (not counted)", flush=True)
            for turn in range(1, args.rounds + 1):
                for name, env in envs.items():
                    t = run_turn(emostream_argv(command), env, args.until)
                    turns[name].append(t)
                    print(
                        f"  round {turn}, {name:<14} own {t.own_peak_mb:7.0f} MB, largest under "
                        f"it {t.largest_child_peak_mb:7.0f} MB, {t.wall_s:7.1f} s", flush=True,
                    )  # fmt: skip
        finally:
            subprocess.run(
                ["git", "-C", str(REPO), "worktree", "remove", "--force", str(baseline)],
                check=False, capture_output=True,
            )  # fmt: skip
    mine, theirs = (statistics.median(t.own_peak_mb for t in ts) for ts in turns.values())
    if min(mine, theirs) > 0:
        ratio = mine / theirs
        print(f"  ratio of the command's own peak, this checkout / {args.baseline}: {ratio:.2f}x")
    else:
        print("  the command ended before its memory could be sampled")
    mine_s, theirs_s = (statistics.median(t.wall_s for t in ts) for ts in turns.values())
    print(f"  ratio of the wall times, this checkout / {args.baseline}: {mine_s / theirs_s:.2f}x")
    digests = {t.stdout_sha256 for ts in turns.values() for t in ts}
    if None not in digests:
        print(f"  stdout identical: {'yes' if len(digests) == 1 else 'NO'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
