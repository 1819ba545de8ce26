"""`emostream report` on a 1 h session against the 10 s goal.

Records a 1 h synthetic session with the demo pipeline (`emostream demo --duration 3600
--speed 0`: ECG 250 Hz, PPG, EDA, RSP, TEMP, 4-channel EEG 256 Hz, features, predictions,
label requests) into a temporary folder, then times `emostream report` on it as a whole
process (start-up, imports, loading, figures, writing), once. Prints the wall time, its ratio
to the goal, the report's size and the load average beside it.

Usage: python benchmarks/report.py [--duration S] [--session DIR]
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

GOAL_S = 10.0


def emostream(*args: str) -> list[str]:
    return [sys.executable, "-m", "emostream", *args]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=3600.0, help="session length in s")
    parser.add_argument("--session", type=Path, default=None, help="report this session instead")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        session = args.session
        if session is None:
            print(f"recording a {args.duration:g} s demo session ...", file=sys.stderr)
            demo = ["demo", "--duration", f"{args.duration:g}", "--speed", "0", "--no-lsl"]
            subprocess.run(
                emostream(*demo, "--record", str(root / "rec")),
                check=True,
                stdout=subprocess.DEVNULL,
            )
            (session,) = (root / "rec").iterdir()
        out = root / "report.html"
        load_before = os.getloadavg()
        start = time.perf_counter()
        subprocess.run(emostream("report", str(session), "--out", str(out)), check=True)
        wall_s = time.perf_counter() - start
        load_after = os.getloadavg()
        size_mb = out.stat().st_size / 1e6
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    print(f"load average (1, 5, 15 min) before: {', '.join(f'{x:.2f}' for x in load_before)}")
    print(f"load average (1, 5, 15 min) after:  {', '.join(f'{x:.2f}' for x in load_after)}")
    what = f"a {args.duration:g} s demo session" if args.session is None else str(args.session)
    print(f"report of {what}: {wall_s:.2f} s wall ({size_mb:.1f} MB HTML)")
    print(f"ratio to the {GOAL_S:g} s goal: {wall_s / GOAL_S:.2f} (<= 1 meets it)")


if __name__ == "__main__":
    main()
