"""Many wearers live: how many one `emostream run` holds at real time, and the delay from a
window's end to its state on the State outlet.

For each N in `--steps` (stopping at the first N not held), three processes run side by side:

- a publisher (this script with `--publish`): N synthetic wearers, each with ECG 250 Hz,
  PPG 64 Hz, EDA 4 Hz and 3-axis ACC 32 Hz LSL outlets, paced at real time for `--seconds`.
  Every stream's samples sit on whole multiples of its period from a whole second `t0`, and
  every 0.1 s the publisher pushes each stream's samples up to and including that instant.
  By default every stream is pushed at the step's start, so all 4·N chunks arrive at once;
  with `--push-groups G` the wearers push in G groups spread over the step (wearer i at
  (i mod G)/G of it), as devices with their own clocks do;
- `emostream run` on a pipeline with N `[[wearers]]` (60 s windows, 1 s hop, HRV, EDA and ACC
  features, a logistic model, Features and State outlets per wearer, `--no-record`), whose
  wearers' window ends are spread over the hop (`run`'s default; `--aligned-windows` puts
  them all on whole seconds, and `--compare-aligned` runs each step both ways), in one
  process or in `--workers` processes (`--compare-workers N` runs each step also with N);
- a subscriber (this process): one inlet per State outlet, one thread each blocked in
  `pull_sample`, which notes the LSL clock when each state arrives.

Delay of a window = arrival of its state at the subscriber (LSL clock) − the instant the
publisher was due to push the window's last sample. A window (t_end − 60 s, t_end] is complete
once every stream has a sample within half its period of `t_end` (the run's own rule);
the window's end `t_end` is the State sample's timestamp, so the script knows which samples
those are and which of the wearer's pushes carries the last of them (its lateness is
reported). With aligned windows and one push group that push is at `t_end` itself. The delay
therefore covers the push, LSL transport, the run's reading, windowing, features, model and
outlet, and LSL back. The run's own share of it (from the arrival of the chunk that closed
the window at the run's reader to the window's outputs pushed) is read from the run's summary. The publisher stands in for N
devices but pushes their 4·N streams one after another, so it also notes when each wearer's
streams of each step were pushed, and the delay is reported from that instant too
(`delay_from_push_p50_p99_ms`: without the publisher's own lateness).

Held: zero lost samples (every sample the publisher pushed is counted by the run), every
wearer produced every window due, and no growing backlog (median delay of the last quarter
of the windows within 0.1 s of the second quarter's). CPU: the run's user + system time over
the measured span / its wall time; RSS: from /proc every 2 s.

    .venv/bin/python benchmarks/live.py --steps 10,25,50,100 --seconds 120
    .venv/bin/python benchmarks/live.py --steps 25 --seconds 90 --compare-aligned
    .venv/bin/python benchmarks/live.py --steps 50 --seconds 120 --compare-workers 2
    .venv/bin/python benchmarks/live.py --steps 100 --seconds 90 --workers 2 \
        --compare-push-groups 10
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import numpy as np
import pylsl
from pylsl.util import LostError

sys.path.insert(0, str(Path(__file__).resolve().parent))
from procfs import children

STREAMS = (("ECG", 250.0, 1), ("PPG", 64.0, 1), ("EDA", 4.0, 1), ("ACC", 32.0, 3))
STEP_S = 0.1
WINDOW_S = 60.0
GOAL_WEARERS, GOAL_P99_MS, GOAL_RSS_MB = 100, 20.0, 20.0


def slot(i: int, n: int) -> str:
    from emostream.core.spec import wearer_slot

    return wearer_slot(i, n)


# -- publisher --------------------------------------------------------------------------------
def render(kind: str, rate_hz: float, n_channels: int, seconds: float, seed: int) -> np.ndarray:
    """`seconds` (+1 s) of one wearer's stream, float32 (n, channels)."""
    n = round((seconds + 1.0) * rate_hz) + 1
    if kind == "ACC":
        rng = np.random.default_rng(seed)
        data = rng.normal(0.0, 0.02, (n, 3)) + np.array([0.0, 0.0, 1.0])
        return data.astype(np.float32)
    from emostream.synth.physiology import make_timeline
    from emostream.synth.protocol import Protocol
    from emostream.synth.streams import renderer_for

    timeline = make_timeline(Protocol(), seconds + 2.0, seed)
    _, values = renderer_for(timeline, kind, rate_hz, seed).render(n)
    return np.asarray(values, dtype=np.float32).reshape(n, n_channels)


def samples_pushed_by(t_push_s: float, t0: float, rate_hz: float) -> int:
    """How many samples of a stream a push at `t_push_s` has pushed: through that instant."""
    return math.floor(round((t_push_s - t0) * rate_hz, 6)) + 1


def push_phase_s(i: int, push_groups: int) -> float:
    """When in each 0.1 s step wearer `i` pushes, after the step's start: its group's share."""
    return STEP_S * (i % push_groups) / push_groups


def publish(n_wearers: int, seconds: float, tag: str, push_groups: int = 1) -> None:
    """Publish N wearers for `seconds` after every outlet has a subscriber; print a JSON line
    with what was pushed and how late. The wearers push in `push_groups` groups spread over
    each 0.1 s step, each push carrying its streams' samples up to that instant (1: all at
    the step's start)."""
    from emostream.core.lslinfo import spec_to_info
    from emostream.core.spec import StreamSpec

    outlets, signals = [], []
    for i in range(n_wearers):
        for kind, rate, n_ch in STREAMS:
            labels = ("x", "y", "z") if n_ch == 3 else (kind,)
            spec = StreamSpec(kind, f"{tag}-{slot(i, n_wearers)}-{kind}", labels, ("",) * n_ch,
                              rate, f"{tag}:{slot(i, n_wearers)}:{kind.lower()}")  # fmt: skip
            outlets.append((spec, pylsl.StreamOutlet(spec_to_info(spec), 0, 60)))
            signals.append(render(kind, rate, n_ch, seconds, seed=i + 1))
    deadline = time.monotonic() + 600.0
    while not all(o.have_consumers() for _, o in outlets):
        if time.monotonic() > deadline:
            raise SystemExit("publisher: not every outlet got a subscriber in 600 s")
        time.sleep(0.05)
    t0 = math.ceil(pylsl.local_clock()) + 1.0
    pushed = [0] * len(outlets)
    lateness_ms: list[float] = []
    push_lag_ms: list[list[float]] = [[] for _ in range(n_wearers)]  # per wearer, per step
    cpu0 = time.process_time()
    step = 0
    n_streams = len(STREAMS)
    groups = [[i for i in range(n_wearers) if i % push_groups == g] for g in range(push_groups)]
    while t0 + step * STEP_S <= t0 + seconds + 1.0 + 1e-9:  # a second more: windows complete
        for g, members in enumerate(groups):
            t_push = t0 + step * STEP_S + push_phase_s(g, push_groups)  # wearer g is in group g
            delay = t_push - pylsl.local_clock()
            if delay > 0:
                time.sleep(delay)
            lateness_ms.append((pylsl.local_clock() - t_push) * 1e3)
            for i in members:
                for k in range(i * n_streams, (i + 1) * n_streams):
                    (spec, outlet), data = outlets[k], signals[k]
                    upto = min(samples_pushed_by(t_push, t0, spec.rate_hz), len(data))
                    if upto > pushed[k]:
                        ts = t0 + np.arange(pushed[k], upto) / spec.rate_hz
                        outlet.push_chunk(data[pushed[k] : upto], ts.tolist())
                        pushed[k] = upto
                # the wearer's streams are all pushed
                push_lag_ms[i].append(round((pylsl.local_clock() - t_push) * 1e3, 3))
        step += 1
    cpu = time.process_time() - cpu0
    time.sleep(2.0)  # let the run receive the last samples
    counts: dict[str, dict[str, int]] = {}
    for (spec, _), n in zip(outlets, pushed, strict=True):
        wearer = spec.name.split("-")[-2]
        counts.setdefault(wearer, {})[spec.kind.lower()] = n
    late = np.asarray(lateness_ms)
    print(json.dumps({
        "t0": t0, "pushed": counts, "cpu_s": cpu, "wall_s": seconds + 1.0,
        "lateness_p50_ms": float(np.percentile(late, 50)),
        "lateness_p99_ms": float(np.percentile(late, 99)),
        "push_lag_ms": {slot(i, n_wearers): lags for i, lags in enumerate(push_lag_ms)},
        "push_phase_s": {slot(i, n_wearers): push_phase_s(i, push_groups)
                         for i in range(n_wearers)},
    }), flush=True)  # fmt: skip


# -- the run and the subscriber ---------------------------------------------------------------
def pipeline_text(n_wearers: int, tag: str) -> str:
    sources = "".join(
        f'[[sources]]\ndevice = "lsl-generic"\nname = "{tag}-{{slot}}-{kind}"\n'
        "resolve_timeout_s = 120.0\n"
        for kind, _, _ in STREAMS
    )
    wearers = "".join(f'[[wearers]]\nsubject = "B{i + 1:03d}"\n' for i in range(n_wearers))
    return (
        f'[pipeline]\nname = "bench-live"\n[window]\nlength_s = {WINDOW_S}\nhop_s = 1.0\n'
        f"{sources}[features.hrv]\n[features.eda]\n[features.acc]\n"
        '[model]\nlearner = "logistic"\n[labels]\nclasses = ["calm", "stress"]\n'
        f'[outputs]\nlsl_prefix = "{tag}"\n{wearers}'
    )


class Subscriber:
    """One thread per State outlet, blocked in pull_sample: (t_end, arrival) per window."""

    def __init__(self, tag: str, n_wearers: int, nice: int = 0):
        self.tag, self.n, self.nice = tag, n_wearers, nice
        self.delays: dict[str, list[tuple[float, float]]] = {}
        self.stop = threading.Event()
        self.threads: list[threading.Thread] = []
        self.ready = threading.Event()
        threading.Thread(target=self._resolve, daemon=True).start()

    def _resolve(self) -> None:
        # Linux threads inherit their creator's niceness: liblsl's threads for these inlets,
        # and the pulling threads, run at this one's
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), self.nice)
        names = {f"{self.tag}-{slot(i, self.n)}-State" for i in range(self.n)}
        found: dict[str, pylsl.StreamInfo] = {}
        while len(found) < self.n and not self.stop.is_set():
            for info in pylsl.resolve_bypred(f"starts-with(name,'{self.tag}-')", 0, 2.0):
                if info.name() in names:
                    found.setdefault(info.name(), info)
        for name, info in found.items():
            # recover=False: once the run has ended, an inlet left resolving its State outlet
            # again would query every outlet of the publisher, wave after wave
            inlet = pylsl.StreamInlet(info, max_buflen=60, recover=False)
            inlet.open_stream(30.0)
            self.delays[name] = []
            thread = threading.Thread(target=self._pull, args=(inlet, name), daemon=True)
            thread.start()
            self.threads.append(thread)
        self.ready.set()

    def _pull(self, inlet: pylsl.StreamInlet, name: str) -> None:
        out = self.delays[name]
        while not self.stop.is_set():
            try:
                _, t_end = inlet.pull_sample(timeout=1.0)
            except LostError:  # the run has ended
                return
            if t_end is not None:
                out.append((t_end, pylsl.local_clock()))


def proc_stats(pid: int) -> tuple[dict[int, float], float]:
    """User + system CPU seconds of a process and of each of its worker processes, and their
    total RSS in MB (a worker that has just ended is left out)."""
    cpu: dict[int, float] = {}
    rss = 0.0
    for one in (pid, *children(pid)):
        try:
            with open(f"/proc/{one}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{one}/status") as fh:
                rss += next(int(ln.split()[1]) for ln in fh if ln.startswith("VmRSS:")) / 1024
        except (FileNotFoundError, ProcessLookupError, StopIteration):
            if one == pid:
                raise
            continue
        cpu[one] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return cpu, rss


def rss_slope_mb_per_min(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MB) points, in MB a minute (NaN for fewer than 2)."""
    if len(points) < 2:
        return math.nan
    t_s, rss_mb = np.asarray(points).T
    return float(np.polyfit(t_s - t_s[0], rss_mb, 1)[0] * 60.0)


def closing_push_s(t_end: float, t0: float, phase_s: float = 0.0) -> float:
    """When the publisher pushes the last sample that completes the window ending at `t_end`:
    for every stream, its first sample within half a period of `t_end`; the wearer's push
    (at `phase_s` into each 0.1 s step) that carries the latest of them."""
    last_s = max(
        t0 + math.ceil(round((t_end - t0 - 0.5 / rate) * rate, 6)) / rate for _, rate, _ in STREAMS
    )
    return t0 + phase_s + math.ceil(round((last_s - t0 - phase_s) / STEP_S, 6)) * STEP_S


def run_step(
    n_wearers: int,
    seconds: float,
    python: str,
    aligned: bool = False,
    workers: int = 1,
    run_args: tuple[str, ...] = (),
    push_groups: int = 1,
    others_nice: int = 0,
) -> dict:
    tag = f"bl{uuid.uuid4().hex[:6]}"
    folder = Path(tempfile.mkdtemp(prefix="emostream-live-bench-"))
    pipeline = folder / "bench.toml"
    pipeline.write_text(pipeline_text(n_wearers, tag))
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    publisher = subprocess.Popen(
        [python, __file__, "--publish", str(n_wearers), "--seconds", str(seconds), "--tag", tag,
         "--push-groups", str(push_groups)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env,
        preexec_fn=lambda: os.nice(others_nice),
    )  # fmt: skip
    subscriber = Subscriber(tag, n_wearers, others_nice)
    log = (folder / "run.log").open("w")
    run = subprocess.Popen(
        [python, "-m", "emostream.cli", "run", str(pipeline), "--no-record",
         "--duration", str(seconds + 30.0), "--workers", str(workers),
         *(["--aligned-windows"] if aligned else []), *run_args],
        stdout=log, stderr=subprocess.STDOUT, env=env, cwd=folder,
    )  # fmt: skip
    trace: list[tuple[float, dict[int, float], float]] = []  # (LSL clock, CPU s per pid, RSS)
    while run.poll() is None:
        try:
            trace.append((pylsl.local_clock(), *proc_stats(run.pid)))
        except (FileNotFoundError, ProcessLookupError, StopIteration):
            break
        time.sleep(2.0)
    run.wait()
    log.close()
    subscriber.stop.set()
    try:
        out, _ = publisher.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        publisher.kill()
        publisher.communicate()
        sys.exit(
            f"{n_wearers} wearers: the publisher had not finished 120 s after the run ended, "
            "so it fell behind real time; this machine cannot publish them beside the run"
        )
    text = (folder / "run.log").read_text()
    sent = json.loads(out.strip().splitlines()[-1])
    t0 = sent["t0"]
    result = summarise(n_wearers, seconds, sent, text, subscriber, trace, t0, run.returncode)
    if run.returncode == 0:
        shutil.rmtree(folder, ignore_errors=True)
    else:  # kept for a look at what went wrong
        print(f"{n_wearers} wearers: the run's log is {folder / 'run.log'}", file=sys.stderr)
    windows = "aligned" if aligned else "spread"
    return {
        "windows": windows, "workers": workers, "push_groups": push_groups,
        "others_nice": others_nice, **result,
    }  # fmt: skip


def summarise(n, seconds, sent, text, subscriber, trace, t0, code) -> dict:
    received: dict[str, dict[str, int]] = {}
    for wearer, streams in re.findall(r"^(w\d+): streams: (.*)$", text, re.M):
        received[wearer] = {k: int(v) for k, v in re.findall(r"(\w+): (\d+) samples", streams)}
    in_run = [
        (float(p50), float(p99))
        for p50, p99 in re.findall(
            r"^w\d+: window latency in the run .*: p50 ([\d.]+) ms, p99 ([\d.]+) ms", text, re.M
        )
    ]
    lost = sum(
        max(0, n_sent - received.get(w, {}).get(kind, 0))
        for w, streams in sent["pushed"].items()
        for kind, n_sent in streams.items()
    )
    # `due` windows per wearer, ending in [t0 + 60.5, t0 + 60.5 + due), whatever the wearer's
    # offset (an aligned first window, at t0 + 60, closes only when the clock offset stamps
    # the first sample not a hair after t0)
    due = int(seconds - WINDOW_S)
    first_s = t0 + WINDOW_S + 0.5
    delays, from_push, per_wearer_windows = [], [], []
    for name, pairs in subscriber.delays.items():
        inside = sorted((t, a) for t, a in pairs if first_s <= t < first_s + due)
        per_wearer_windows.append(len(inside))
        wearer = name.split("-")[-2]
        phase_s = sent["push_phase_s"][wearer]
        delays.append([a - closing_push_s(t, t0, phase_s) for t, a in inside])
        lags_ms = sent["push_lag_ms"][wearer]
        for t, a in inside:  # from when the publisher had pushed that step's samples
            due_s = closing_push_s(t, t0, phase_s)
            from_push.append(a - due_s - lags_ms[round((due_s - t0 - phase_s) / STEP_S)] / 1e3)
    flat = np.asarray([d for ds in delays for d in ds]) * 1e3
    # each wearer's first window also pays what a run does once per wearer (its Features
    # outlet, the first minute of beats): its delays apart from the later windows'
    first = np.asarray([ds[0] for ds in delays if ds]) * 1e3
    later = np.asarray([d for ds in delays for d in ds[1:]]) * 1e3
    flat_from_push = np.asarray(from_push) * 1e3
    by_time = np.asarray([np.asarray(ds) for ds in delays if len(ds) == due]) * 1e3
    growth_ms = math.nan
    if by_time.size:
        q = due // 4
        growth_ms = float(np.median(by_time[:, 3 * q :]) - np.median(by_time[:, q : 2 * q]))
    # CPU over the published span from its 30th second; RSS once the first windows are out
    published = [(t, c) for t, c, _ in trace if t0 + WINDOW_S / 2 <= t <= t0 + seconds]
    steady = published or [(t, c) for t, c, _ in trace]
    span = steady[-1][0] - steady[0][0]
    cpu_s = sum(
        steady[-1][1][pid] - cpu for pid, cpu in steady[0][1].items() if pid in steady[-1][1]
    )
    cpu_pct = 100 * cpu_s / span if span > 0 else math.nan
    rss = [r for t, _, r in trace if t <= t0 + seconds]
    after_warmup = [r for t, _, r in trace if t0 + WINDOW_S + 20 <= t <= t0 + seconds] or rss
    late = [(t, r) for t, _, r in trace if t0 + (WINDOW_S + 20 + seconds) / 2 <= t <= t0 + seconds]
    held = (
        code == 0 and lost == 0 and len(per_wearer_windows) == n
        and min(per_wearer_windows, default=0) >= due and abs(growth_ms) < 100.0
    )  # fmt: skip
    return {
        "wearers": n,
        "held": bool(held),
        "exit_code": code,
        "samples_pushed": sum(sum(s.values()) for s in sent["pushed"].values()),
        "samples_lost": lost,
        "windows_due_per_wearer": due,
        "windows_min_max": [min(per_wearer_windows, default=0), max(per_wearer_windows, default=0)],
        "states_measured": int(flat.size),
        "delay_p50_ms": float(np.percentile(flat, 50)) if flat.size else math.nan,
        "delay_p99_ms": float(np.percentile(flat, 99)) if flat.size else math.nan,
        "delay_max_ms": float(flat.max()) if flat.size else math.nan,
        "backlog_growth_ms": growth_ms,
        "first_window_delay_p50_max_ms": [
            float(np.percentile(first, 50)) if first.size else math.nan,
            float(first.max()) if first.size else math.nan,
        ],
        "later_windows_delay_p99_ms": float(np.percentile(later, 99)) if later.size else math.nan,
        # the same delays from when the publisher had pushed the wearer's closing samples: a
        # publisher standing in for N devices pushes 4·N streams one after the other, so the
        # last wearers' samples enter LSL later than they were due
        "delay_from_push_p50_p99_ms": [
            float(np.percentile(flat_from_push, q)) if flat_from_push.size else math.nan
            for q in (50, 99)
        ],
        # the run's own part of the delay, as it reports it: from the arrival of the chunk
        # that closed a window to the window's outputs pushed (median of the wearers' p50s,
        # largest of their p99s)
        "in_run_p50_ms_median": float(np.median([a for a, _ in in_run])) if in_run else math.nan,
        "in_run_p99_ms_max": max((b for _, b in in_run), default=math.nan),
        "run_cpu_pct_of_one_core": cpu_pct,
        "run_cpu_pct_per_wearer": cpu_pct / n,
        "run_rss_mb_end": rss[-1],
        "run_rss_mb_per_wearer": rss[-1] / n,
        "run_rss_mb_after_warmup_and_end": [after_warmup[0], after_warmup[-1]],
        # flat means this is about 0: the least-squares slope over the last half of the span
        # after warm-up, where anything bounded (queues, caches) has had time to fill
        "run_rss_mb_per_min_late": rss_slope_mb_per_min(late),
        "publisher_cpu_pct_of_one_core": 100 * sent["cpu_s"] / sent["wall_s"],
        "publisher_lateness_p50_p99_ms": [sent["lateness_p50_ms"], sent["lateness_p99_ms"]],
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--steps", default="10,25,50,100", help="wearer counts to try, in order")
    p.add_argument("--seconds", type=float, default=120.0, help="seconds published per step")
    p.add_argument(
        "--workers", type=int, default=1, help="the run's worker processes (`run --workers`)"
    )
    p.add_argument(
        "--compare-workers",
        type=int,
        default=0,
        metavar="N",
        help="run each step also with N worker processes, and print the ratio of the delays",
    )
    p.add_argument(
        "--compare-aligned",
        action="store_true",
        help="run each step also with every wearer's windows on whole seconds, and print the "
        "ratio of the delays",
    )
    p.add_argument(
        "--run-args",
        default="",
        help='more options for `emostream run`, joined to the option by "=" when they begin '
        'with "-", e.g. --run-args="--no-lsl" (no State outlets: the delays are then not '
        "measured, only loss, CPU and RSS)",
    )
    p.add_argument(
        "--push-groups",
        type=int,
        default=1,
        metavar="G",
        help="the publisher's wearers push in G groups spread over each 0.1 s step, as devices "
        "with their own clocks do (1, the default: every stream at the step's start)",
    )
    p.add_argument(
        "--compare-push-groups",
        type=int,
        default=0,
        metavar="G",
        help="run each step also with G push groups, and print the ratio of the delays",
    )
    p.add_argument(
        "--others-nice",
        type=int,
        default=0,
        metavar="N",
        help="run the publisher and the subscriber at niceness N (e.g. 19), so that the run "
        "has the cores first, as when the devices and the apps are other machines; their "
        "own lateness then grows, so read the delay in the run",
    )
    p.add_argument("--publish", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--tag", default="", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.push_groups < 1 or args.compare_push_groups < 0:
        p.error("--push-groups must be at least 1")
    if args.publish:
        publish(args.publish, args.seconds, args.tag, args.push_groups)
        return
    run_args = tuple(args.run_args.split())
    peers: list[tuple[str, dict]] = []  # each step is run again like this, for a ratio
    if args.compare_aligned:
        peers.append(("aligned", {"aligned": True, "workers": args.workers}))
    if args.compare_workers:
        peers.append((f"workers{args.compare_workers}", {"workers": args.compare_workers}))
    if args.compare_push_groups:
        groups = args.compare_push_groups
        peers.append((f"push_groups{groups}", {"push_groups": groups, "workers": args.workers}))
    results = []
    for n in (int(x) for x in args.steps.split(",")):
        result = run_step(
            n, args.seconds, sys.executable, workers=args.workers, run_args=run_args,
            push_groups=args.push_groups, others_nice=args.others_nice,
        )  # fmt: skip
        results.append(result)
        print(json.dumps(result), flush=True)
        for name, options in peers:
            peer = run_step(
                n, args.seconds, sys.executable, run_args=run_args,
                others_nice=args.others_nice, **options,
            )  # fmt: skip
            print(json.dumps(peer), flush=True)
            print(json.dumps({
                "wearers": n,
                f"ratio_{name}_to_this_p50": peer["delay_p50_ms"] / result["delay_p50_ms"],
                f"ratio_{name}_to_this_p99": peer["delay_p99_ms"] / result["delay_p99_ms"],
                f"peer_{name}_held": peer["held"],
            }), flush=True)  # fmt: skip
        if not result["held"]:
            break
    held = [r for r in results if r["held"]]
    best = held[-1] if held else None
    print(json.dumps({
        "largest_n_held": best["wearers"] if best else 0,
        "ratio_wearers_to_goal": (best["wearers"] if best else 0) / GOAL_WEARERS,
        "ratio_p99_to_goal": best["delay_p99_ms"] / GOAL_P99_MS if best else None,
        "ratio_rss_per_wearer_to_goal": best["run_rss_mb_per_wearer"] / GOAL_RSS_MB if best else None,
        "load_average": os.getloadavg(),
    }), flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
