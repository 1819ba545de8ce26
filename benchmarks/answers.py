"""A self-report answer's way to the model: from the page's POST to the pipeline, and to the
model's learning from it.

One synthetic wearer (the demo pipeline, 60 s windows at a 5 s hop) runs at real time with a
`DashboardServer`, as in `emostream demo`. After the first window has closed, the script
answers as the self-report page does (`POST /api/wearers/0/reports`, with the session's
token) `--answers` times, a few seconds apart, and notes on one monotonic clock:

- **entered**: the answer's marker has entered the pipeline (the wearer's console Markers
  source has yielded it: from here it is recorded and published on LSL);
- **learned**: the model has learned a window from it (its `n_learned` counter grew). The
  model applies labels when the next window closes, so this adds up to one hop.

Polled every 2 ms. The ratio is each p95 against the 1 s goal.

Usage: python benchmarks/answers.py [--answers N]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import time
import urllib.request
from collections.abc import Callable
from functools import partial

import numpy as np

from emostream.dashboard.server import DashboardServer
from emostream.dashboard.synthetic import ConsoleSession

GOAL_S = 1.0
POLL_S = 0.002


def post_answer(server: DashboardServer, state: str) -> None:
    request = urllib.request.Request(
        f"{server.url}api/wearers/0/reports",
        data=json.dumps({"state": state}).encode(),
        headers={"Authorization": f"Bearer {server.token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


def grew(count: Callable[[], int], before: int) -> bool:
    return count() > before


def wait_until(done: Callable[[], bool], timeout_s: float) -> float:
    """Seconds on the monotonic clock when `done()` first held (NaN after `timeout_s`)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if done():
            return time.monotonic()
        time.sleep(POLL_S)
    return float("nan")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--answers", type=int, default=12)
    args = p.parse_args()
    print(f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"load average before: {os.getloadavg()}")
    server = DashboardServer()
    session = ConsoleSession(server, speed=1.0, phase_markers=False)
    wearer = session.wearers[0]
    model, inbox = wearer.model, wearer.sink.inbox
    assert model is not None
    server.start()
    session.start()
    entered, learned = [], []
    try:
        wait_until(lambda: model.counters.n_predicted > 0, 120.0)
        rng = random.Random(0)
        for k in range(args.answers):
            time.sleep(rng.uniform(5.5, 8.0))  # past the next window: new windows to learn
            n_markers, n_learned = inbox.n_markers, model.counters.n_learned
            t_send = time.monotonic()
            post_answer(server, model.classes[k % len(model.classes)])
            t_in = wait_until(partial(grew, lambda: inbox.n_markers, n_markers), 10.0)
            t_learn = wait_until(partial(grew, lambda: model.counters.n_learned, n_learned), 15.0)
            entered.append(t_in - t_send)
            learned.append(t_learn - t_send)
    finally:
        session.stop()
        server.stop()
    for name, values in (("entered the pipeline", entered), ("learned by the model", learned)):
        v = np.asarray(values) * 1e3
        p95 = float(np.nanpercentile(v, 95))
        print(
            f"{name}: {np.count_nonzero(np.isfinite(v))}/{v.size} answers; p50 "
            f"{np.nanpercentile(v, 50):.0f} ms, p95 {p95:.0f} ms, max {np.nanmax(v):.0f} ms; "
            f"p95 / goal {p95 / (GOAL_S * 1e3):.3f}"
        )
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
