"""A wearer's first window against its later ones: the time the push that closes it takes.

    .venv/bin/python benchmarks/first_window.py [--wearers 20] [--baseline REV] [--rounds 2]

In a fresh process, N wearers each run the live benchmark's pipeline (`benchmarks/live.py`:
ECG 250 Hz, PPG 64 Hz, EDA 4 Hz and 3-axis ACC 32 Hz; 60 s windows, 1 s hop; HRV, EDA and ACC
features; a logistic model) with the Features and State LSL outlets a run gives them. Their
synthetic streams are pushed in 0.1 s chunks, wearer after wearer, as fast as the CPU allows,
until each wearer has closed 30 windows. Each push that closes a window is timed, in wall
time and in the CPU time of the thread that pushes (the event loop's, in a run).

Prints, per version: the first windows (the process's very first apart: it also pays what a
process pays once) and the later ones, median and 99th percentile, and the ratio of the first
windows' median to the later windows'. With `--baseline REV` the same runs with REV's
emostream (a temporary git worktree), the versions taking turns for `--rounds` rounds, and
the ratio of the first windows' medians (this checkout / REV) is printed too.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from live import STEP_S, STREAMS, WINDOW_S, pipeline_text

REPO = Path(__file__).resolve().parent.parent
LATER_WINDOWS = 29


def streams(wearer: int, seconds: float) -> list[tuple[object, np.ndarray, np.ndarray]]:
    """One wearer's specs and samples (timestamps, values) for `seconds`."""
    from emostream.core.spec import StreamSpec
    from emostream.synth.physiology import make_timeline
    from emostream.synth.protocol import Protocol
    from emostream.synth.streams import renderer_for

    timeline = make_timeline(Protocol(), seconds + 1.0, seed=wearer)
    rng = np.random.default_rng(wearer)
    out = []
    for kind, rate_hz, n_channels in STREAMS:
        n = int(seconds * rate_hz)
        if kind == "ACC":
            ts, data = np.arange(n) / rate_hz, rng.normal([0.0, 0.0, 1.0], 0.05, (n, 3))
        else:
            ts, data = renderer_for(timeline, kind, rate_hz, wearer).render(n)
        spec = StreamSpec(
            kind, f"fw{wearer}-{kind}", tuple(f"{kind}{c}" for c in range(n_channels)),
            ("",) * n_channels, rate_hz, f"fw{os.getpid()}:{wearer}:{kind.lower()}",
        )  # fmt: skip
        out.append((spec, 1000.0 + ts, data.astype(np.float32)))
    return out


def measure(n_wearers: int) -> dict:
    """Runs in a fresh process: the timings of every push that closed a window."""
    from emostream.core.chunk import Chunk
    from emostream.pipeline.build import build_model
    from emostream.pipeline.wearer import WearerPipeline
    from emostream.pipeline.wearers import load_live
    from emostream.sinks.outputs import FeatureOutletSink
    from emostream.sinks.state import StateOutletSink

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "first-window.toml"
        path.write_text(pipeline_text(1, "first-window"))
        config, _ = load_live(path)
    seconds = WINDOW_S + LATER_WINDOWS + 1.0
    wearers = []
    for w in range(n_wearers):
        data = streams(w, seconds)
        model = build_model(config, None)
        assert model is not None
        tag = f"fw{os.getpid()}-{w}"
        sinks = [
            FeatureOutletSink(name=f"{tag}-Features", source_id=f"{tag}:features"),
            StateOutletSink(name=f"{tag}-State", source_id=f"{tag}:state", classes=model.classes),
        ]
        specs = [spec for spec, _, _ in data]
        pipeline = WearerPipeline(config.window, specs, config.features, model=model, sinks=sinks)
        wearers.append((pipeline, data, sinks))
    timings: list[list[tuple[float, float]]] = [[] for _ in wearers]  # (wall, CPU) ms
    for step in range(round(seconds / STEP_S)):
        t0_s, t1_s = 1000.0 + step * STEP_S, 1000.0 + (step + 1) * STEP_S
        for w, (pipeline, data, _) in enumerate(wearers):
            for spec, ts, values in data:
                lo, hi = np.searchsorted(ts, (t0_s, t1_s))
                if hi == lo:
                    continue
                chunk = Chunk(spec, ts[lo:hi], values[lo:hi])
                wall, cpu = time.perf_counter(), time.thread_time()
                closed = pipeline.push(chunk)
                if closed:
                    timings[w].append(
                        ((time.perf_counter() - wall) * 1e3, (time.thread_time() - cpu) * 1e3)
                    )
    for _, _, sinks in wearers:
        for sink in sinks:
            sink.close()
    return {"timings": timings}


def summary(timings: list[list[list[float]]]) -> dict[str, float]:
    """Medians and p99s (ms) of the first windows and the later ones, wall and CPU."""
    first = np.array([t[0] for t in timings])
    later = np.array([x for t in timings for x in t[1:]])
    return {
        "process_first_wall_ms": float(first[0, 0]),
        "first_wall_p50_ms": float(np.median(first[1:, 0])),
        "first_wall_max_ms": float(first[1:, 0].max()),
        "first_cpu_p50_ms": float(np.median(first[1:, 1])),
        "later_wall_p50_ms": float(np.median(later[:, 0])),
        "later_wall_p99_ms": float(np.percentile(later[:, 0], 99)),
        "later_cpu_p50_ms": float(np.median(later[:, 1])),
    }


def run_version(root: Path, n_wearers: int) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    out = subprocess.run(
        [sys.executable, __file__, "--measure", str(n_wearers)],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return summary(json.loads(out.stdout.splitlines()[-1])["timings"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wearers", type=int, default=20, help="wearers in the process (≥ 2)")
    parser.add_argument("--baseline", help="a git revision to compare with")
    parser.add_argument("--rounds", type=int, default=1, help="turns of each version")
    parser.add_argument("--measure", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return 0
    if args.wearers < 2 or args.rounds < 1:
        parser.error("give --wearers >= 2 and --rounds >= 1")
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"load average before the run: {load} on {os.cpu_count()} cores")
    print(f"machine: {platform.machine()}, Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as folder:
        versions = {"this checkout": REPO}
        if args.baseline:
            versions[args.baseline] = Path(folder) / "baseline"
            subprocess.run(
                ["git", "-C", str(REPO), "worktree", "add", "--detach",
                 str(versions[args.baseline]), args.baseline],
                check=True, capture_output=True,
            )  # fmt: skip
        firsts: dict[str, list[float]] = {name: [] for name in versions}
        try:
            for turn in range(1, args.rounds + 1):
                for name, root in versions.items():
                    s = run_version(root, args.wearers)
                    firsts[name].append(s["first_wall_p50_ms"])
                    print(
                        f"  round {turn}, {name:<14} first windows {s['first_wall_p50_ms']:.2f} "
                        f"ms median, {s['first_wall_max_ms']:.2f} ms largest (CPU "
                        f"{s['first_cpu_p50_ms']:.2f}); the process's first "
                        f"{s['process_first_wall_ms']:.2f} ms; later windows "
                        f"{s['later_wall_p50_ms']:.2f} ms median, {s['later_wall_p99_ms']:.2f} "
                        f"ms p99 (CPU {s['later_cpu_p50_ms']:.2f}); first / later "
                        f"{s['first_wall_p50_ms'] / s['later_wall_p50_ms']:.2f}x", flush=True,
                    )  # fmt: skip
        finally:
            if args.baseline:
                subprocess.run(
                    ["git", "-C", str(REPO), "worktree", "remove", "--force",
                     str(versions[args.baseline])],
                    check=False, capture_output=True,
                )  # fmt: skip
    if args.baseline:
        mine, theirs = (statistics.median(v) for v in firsts.values())
        print(f"  first windows' median, this checkout / {args.baseline}: {mine / theirs:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
