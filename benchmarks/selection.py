"""Nested selection (`emostream evaluate --select`) with its candidates scored on a 2-worker
Dask LocalCluster vs one after the other in one process, in the same run.

    .venv/bin/python benchmarks/selection.py [--data ../shared/data] [--subjects S2,...]
        [--workers 2] [--rounds 1]

WESAD binary, one seed (natural and one shuffled order), on the subjects given: six by
default, so that a round takes minutes rather than the better part of an hour; `--subjects
all` for all fifteen. A plain `evaluate` of the same subjects first fills the feature cache,
so that neither configuration computes features. Each configuration is then one `emostream evaluate ...
--select --json` subprocess, so the parallel figure includes starting the cluster and
sending the prepared inputs to its workers. The configurations take turns for `--rounds`
rounds, and the ratio is of the best time of each. The two JSON results are compared.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SUBJECTS = "S2,S3,S4,S5,S6,S7"


def evaluate(data: Path, subjects: str, cache: Path, *extra: str) -> tuple[float, str]:
    """Wall seconds and stdout of one `emostream evaluate` of WESAD binary."""
    command = [sys.executable, "-m", "emostream", "evaluate", str(data / "wesad")]
    command += ["--format", "wesad", "--label-set", "binary", "--seeds", "1"]
    command += [] if subjects == "all" else ["--subjects", subjects]
    command += ["--cache-dir", str(cache), "--json", *extra]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr}")
    return elapsed, done.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument(
        "--subjects", default=SUBJECTS, help=f"WESAD subjects, or 'all' (default {SUBJECTS})"
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=1, help="turns of each configuration")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    if not (args.data / "wesad").is_dir():
        print(f"{args.data / 'wesad'}: WESAD not found", file=sys.stderr)
        return 2
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"load average before the run: {load} on {os.cpu_count()} cores")
    print(f"machine: {platform.machine()}, Python {platform.python_version()}")
    print(f"WESAD binary, subjects {args.subjects}, {args.rounds} round(s)")
    serial_s: list[float] = []
    parallel_s: list[float] = []
    identical = True
    with tempfile.TemporaryDirectory() as cache:
        warm_s, _ = evaluate(args.data, args.subjects, Path(cache))
        print(f"  features into the cache (plain evaluate)  {warm_s:8.1f} s", flush=True)
        for turn in range(1, args.rounds + 1):
            elapsed, serial = evaluate(
                args.data, args.subjects, Path(cache), "--select", "--workers", "1"
            )
            serial_s.append(elapsed)
            print(f"  round {turn}: serial, in one process  {elapsed:8.1f} s", flush=True)
            elapsed, parallel = evaluate(
                args.data, args.subjects, Path(cache), "--select", "--workers", str(args.workers)
            )
            parallel_s.append(elapsed)
            print(
                f"  round {turn}: LocalCluster, {args.workers} workers  {elapsed:8.1f} s",
                flush=True,
            )
            identical &= json.loads(serial) == json.loads(parallel)
    print(f"  ratio, best serial / best parallel   {min(serial_s) / min(parallel_s):8.2f}x")
    print(f"  results identical: {'yes' if identical else 'NO'}")
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"load average after the run: {load}")
    return 0 if identical else 1


if __name__ == "__main__":
    raise SystemExit(main())
