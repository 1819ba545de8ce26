"""Screenshots for the README, made by emostream itself: the live dashboard during a demo,
and the session report of that demo's recording.

    .venv/bin/python docs/make_screenshots.py [--out docs/images]   (or `make screenshots`)

Needs headless Chromium and its driver (Debian: chromium, chromium-driver).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from emostream.testing.browser import start_chromium

REPO = Path(__file__).resolve().parents[1]
#: the demo's pace, and how long into it the dashboard is shot (its model has seen one pass
#: of the protocol by then)
DEMO_SPEED = 20.0
SHOT_AFTER_S = 50.0


def emostream(*args: str, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "120"}
    cmd = [sys.executable, "-m", "emostream", *args]
    return subprocess.Popen(cmd, env=env, cwd=REPO, text=True, **kwargs)


def dashboard_url(demo: subprocess.Popen) -> str:
    assert demo.stdout is not None
    for line in demo.stdout:
        found = re.search(r"dashboard: (\S+)", line)
        if found:
            return found.group(1)
    raise SystemExit("the demo ended without printing the dashboard's address")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "images")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    driver = start_chromium(width_px=1400, height_px=1100)
    with tempfile.TemporaryDirectory(prefix="emostream-shots-") as tmp:
        recordings = Path(tmp) / "recordings"
        started = time.monotonic()
        demo = emostream(
            "demo", "--speed", str(DEMO_SPEED),
            "--record", str(recordings), "--no-lsl",
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )  # fmt: skip
        url = dashboard_url(demo)
        time.sleep(max(0.0, SHOT_AFTER_S - (time.monotonic() - started)))
        driver.get(url)
        time.sleep(3.0)  # a few updates reach the page
        driver.save_screenshot(str(args.out / "dashboard.png"))
        assert demo.stdout is not None
        demo.stdout.read()
        if demo.wait() != 0:
            raise SystemExit(f"the demo failed (exit {demo.returncode})")
        session = next(recordings.glob("*/session.json")).parent
        report = Path(tmp) / "report.html"
        if emostream("report", str(session), "--out", str(report)).wait() != 0:
            raise SystemExit("emostream report failed")
        driver.set_window_size(1400, 2400)
        driver.get(report.as_uri())
        driver.save_screenshot(str(args.out / "report.png"))
    driver.quit()
    print(f"wrote {args.out / 'dashboard.png'} and {args.out / 'report.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
