"""Cohort reprocessing: `emostream process` over 35 real E4 sessions on a 2-worker Dask
LocalCluster vs one after the other in one process, in the same run.

    .venv/bin/python benchmarks/cohort.py [--data ../shared/data] [--workers 2] [--rounds 2]

The 35 sessions are the 20 Stress-Predict E4 exports (`stress_predict/Raw_data/S01`…`S20`) and
the 15 WESAD E4 archives (`wesad/S*/S*_E4_Data.zip`), read in place. Each configuration is
one `emostream process ... --no-cache --quiet` command run as a subprocess, so the serial
figure includes one Python start-up and the parallel one includes starting the cluster and
its workers. The two configurations take turns for `--rounds` rounds, so that a machine
whose speed drifts during the run (a shared virtual machine) affects both alike; the ratio
is of the best time of each. The outputs are compared file by file.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def sessions(data: Path) -> list[Path]:
    stress_predict = sorted((data / "stress_predict" / "Raw_data").glob("S[0-9]*"))
    wesad = sorted((data / "wesad").glob("S*/S*_E4_Data.zip"))
    return stress_predict + wesad


def run(inputs: list[Path], out: Path, workers: int) -> float:
    """Wall seconds of one `emostream process` over all inputs."""
    command = [sys.executable, "-m", "emostream", "process", *map(str, inputs), "--out", str(out)]
    command += ["--workers", str(workers), "--no-cache", "--quiet"]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr}")
    return elapsed


def same_outputs(a: Path, b: Path) -> bool:
    files = sorted(p.relative_to(a) for p in a.rglob("*.*") if p.name != "cohort.json")
    mirror = sorted(p.relative_to(b) for p in b.rglob("*.*") if p.name != "cohort.json")
    return files == mirror and all((a / f).read_bytes() == (b / f).read_bytes() for f in files)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2, help="turns of each configuration")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    inputs = sessions(args.data)
    if not inputs:
        print(f"{args.data}: real recordings not found", file=sys.stderr)
        return 2
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"load average before the run: {load} on {os.cpu_count()} cores")
    print(f"machine: {platform.machine()}, Python {platform.python_version()}")
    print(f"{len(inputs)} E4 sessions, {args.rounds} round(s)")
    serial_s: list[float] = []
    parallel_s: list[float] = []
    identical = True
    for turn in range(1, args.rounds + 1):
        with tempfile.TemporaryDirectory() as tmp:
            serial_s.append(run(inputs, Path(tmp) / "serial", 1))
            print(f"  round {turn}: serial, in one process  {serial_s[-1]:8.1f} s", flush=True)
            parallel_s.append(run(inputs, Path(tmp) / "parallel", args.workers))
            print(
                f"  round {turn}: LocalCluster, {args.workers} workers  {parallel_s[-1]:8.1f} s",
                flush=True,
            )
            identical &= same_outputs(Path(tmp) / "serial", Path(tmp) / "parallel")
    print(f"  ratio, best serial / best parallel   {min(serial_s) / min(parallel_s):8.2f}x")
    print(f"  outputs identical: {'yes' if identical else 'NO'}")
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"load average after the run: {load}")
    return 0 if identical else 1


if __name__ == "__main__":
    raise SystemExit(main())
