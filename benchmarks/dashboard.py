"""The live console under load: 16 wearers on one page, update rate, window→page latency, and
the dashboard's CPU cost during a demo at 60x.

1. 16 synthetic wearers (the demo pipeline, each with a `DashboardSink`) run in one process at
   `--speed` x real time, on one `DashboardServer`; a headless Chromium shows the console. For
   `--measure-s` seconds the page counts the pushes it receives (update rate, Hz) and, for
   every window, the time from its close on the server (stamped in the sink) to its arrival
   in the page (latency, ms; same machine, same clock). The wearers are driven directly as 16
   pipelines in one event loop (`emostream.dashboard.synthetic`).
2. `emostream demo --speed 60 --duration D --no-record --no-lsl` runs twice as a child
   process: with `--no-dashboard`, and with `--dashboard` and Chromium on the console. The
   difference in the child's CPU time (user + system, all threads) over the dashboard run's
   wall time is the dashboard's cost in % of one core.

Usage: python benchmarks/dashboard.py [--wearers N] [--speed X] [--measure-s S] [--demo-s D]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import socket
import subprocess
import sys
import time

import numpy as np
from selenium.webdriver.chrome.webdriver import WebDriver

from emostream.dashboard.server import DashboardServer
from emostream.dashboard.synthetic import ConsoleSession
from emostream.testing.browser import start_chromium

READ_PAGE = "return [window.emostream.nMessages, window.emostream.latenciesMs.slice()];"


def many_wearers(n_wearers: int, speed: float, warmup_s: float, measure_s: float) -> dict:
    server = DashboardServer()
    # no EEG: 16 wearers' EEG features at once do not fit beside a browser on 2 cores
    session = ConsoleSession(server, n_wearers=n_wearers, speed=speed, leave_out=("EEG",))
    server.start()
    session.start()
    driver = start_chromium()
    try:
        driver.get(server.console_url())
        time.sleep(warmup_s)  # the first windows close after 60 s of data
        n0, lat0 = driver.execute_script(READ_PAGE)
        t0 = time.monotonic()
        time.sleep(measure_s)
        n1, lat1 = driver.execute_script(READ_PAGE)
        elapsed_s = time.monotonic() - t0
        n_tiles = driver.execute_script("return document.querySelectorAll('.tile').length;")
    finally:
        driver.quit()
        session.stop()
        server.stop()
    latencies = np.array(lat1[len(lat0) :])
    return {
        "tiles": n_tiles,
        "rate_hz": (n1 - n0) / elapsed_s,
        "n_windows": len(latencies),
        "p50_ms": float(np.percentile(latencies, 50)) if len(latencies) else float("nan"),
        "p95_ms": float(np.percentile(latencies, 95)) if len(latencies) else float("nan"),
        "max_ms": float(latencies.max()) if len(latencies) else float("nan"),
        "dropped": server.broadcaster.n_dropped,
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def demo_cpu(demo_s: float, driver: WebDriver | None) -> tuple[float, float]:
    """CPU seconds (the demo process alone: `wait4`) and wall seconds of one `emostream demo`;
    with `driver`, the dashboard is served and the browser shows it."""
    args = [sys.executable, "-m", "emostream", "demo", "--speed", "60", "--duration", str(demo_s)]
    args += ["--no-record", "--no-lsl", "--seed", "3"]
    args += ["--dashboard", f"127.0.0.1:{free_port()}"] if driver else ["--no-dashboard"]
    t0 = time.monotonic()
    child = subprocess.Popen(args, stdout=subprocess.PIPE, text=True, env=os.environ)
    assert child.stdout is not None
    for line in child.stdout:
        found = re.search(r"dashboard: (\S+)", line)
        if found and driver is not None:
            driver.get(found.group(1))
    _, status, usage = os.wait4(child.pid, 0)
    wall_s = time.monotonic() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"demo failed: exit {os.waitstatus_to_exitcode(status)}")
    return usage.ru_utime + usage.ru_stime, wall_s


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--wearers", type=int, default=16)
    p.add_argument("--speed", type=float, default=2.0, help="pace of the 16 wearers")
    p.add_argument("--measure-s", type=float, default=30.0)
    p.add_argument("--demo-s", type=float, default=900.0, help="seconds of demo data (at 60x)")
    args = p.parse_args()
    print(f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"load average before: {os.getloadavg()}")
    warmup_s = 60.0 / args.speed + 5.0
    r = many_wearers(args.wearers, args.speed, warmup_s, args.measure_s)
    print(
        f"{args.wearers} wearers at {args.speed:g}x, {r['tiles']} tiles on one page: "
        f"{r['rate_hz']:.1f} updates/s in the browser; window close -> page over "
        f"{r['n_windows']} windows: p50 {r['p50_ms']:.0f} ms, p95 {r['p95_ms']:.0f} ms, "
        f"max {r['max_ms']:.0f} ms; {r['dropped']} clients dropped"
    )
    driver = start_chromium()
    try:
        cpu_off, wall_off = demo_cpu(args.demo_s, None)
        cpu_on, wall_on = demo_cpu(args.demo_s, driver)
    finally:
        driver.quit()
    share = 100.0 * (cpu_on - cpu_off) / wall_on
    print(
        f"demo at 60x, {args.demo_s:g} s of data: without dashboard {cpu_off:.1f} CPU s in "
        f"{wall_off:.1f} s; with dashboard + Chromium on it {cpu_on:.1f} CPU s in {wall_on:.1f} s; "
        f"ratio {cpu_on / cpu_off:.3f}; dashboard cost {share:.1f}% of one core"
    )
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
