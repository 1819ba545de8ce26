"""Feature extraction speed: emostream's streaming extractors vs NeuroKit2 recomputing each
window, on a full Stress-Predict E4 session and one hour of real ECG, 60 s windows, 1 s hop.

    .venv/bin/python benchmarks/features.py [--data ../shared/data] [--subject S02]
        [--baseline-windows 30]

Ours: every sample goes through Windower + FeatureEngine (hrv, eda, temp, acc for E4; hrv for
ECG), fed in 1 s chunks as a live source would deliver them; the time inside the extractors
and the total with windowing are both printed, after an untimed warm-up on the first 3 min
(loading the compiled loops; its time is printed too). Baseline: a NeuroKit2 script
recomputing each window from scratch (`ppg_clean`+`ppg_findpeaks` or `ecg_clean`+`ecg_peaks`, `hrv_time`,
`eda_process`, temperature mean and slope), timed on `--baseline-windows` windows spread over
the recording and extrapolated to all windows (printed as such).

Whole process: `emostream process <E4 folder> --out DIR --quiet --no-cache` on the same session,
run as a subprocess (a fresh Python: imports, loading the compiled loops, reading the CSVs,
the model and writing Parquet all count), with the package byte-compiled as `make` leaves it,
once untimed and then `--process-runs` times; the
median is compared with real time and with the NeuroKit2 baseline of the same run.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import neurokit2 as nk
import numpy as np

import emostream
from emostream.core.chunk import Chunk
from emostream.core.spec import StreamSpec
from emostream.features.engine import FeatureEngine
from emostream.features.registry import parse_feature_tables
from emostream.formats import e4, wfdb
from emostream.windowing import WindowConfig, Windower

LENGTH_S, HOP_S, CHUNK_S = 60.0, 1.0, 1.0
WARM_UP_S = 180.0
REPO = Path(__file__).resolve().parents[1]


def warm_up(streams: dict[str, tuple[StreamSpec, np.ndarray, np.ndarray]], features: dict) -> float:
    """Run the first WARM_UP_S of the input once, untimed in the figures: the compiled loops
    are loaded (or compiled, on a first run) at first use. Returns the seconds it took."""
    start = time.perf_counter()
    head = {}
    for key, (spec, ts, data) in streams.items():
        n = int(np.searchsorted(ts, ts[0] + WARM_UP_S))
        head[key] = (spec, ts[:n], data[:n])
    run_ours(head, features)
    return time.perf_counter() - start


def run_ours(
    streams: dict[str, tuple[StreamSpec, np.ndarray, np.ndarray]], features: dict
) -> tuple[float, float, int]:
    """(seconds in the extractors, seconds in total with windowing, number of windows)."""
    chunks = []
    for spec, ts, data in streams.values():
        edges = np.searchsorted(ts, np.arange(ts[0], ts[-1] + CHUNK_S, CHUNK_S))
        chunks += [
            (ts[a], Chunk.from_arrays(spec, ts[a:b], data[a:b]))
            for a, b in itertools.pairwise(edges)
            if b > a
        ]
    chunks.sort(key=lambda item: item[0])
    specs = {k: s for k, (s, _, _) in streams.items()}
    engine = FeatureEngine(
        parse_feature_tables(features, None), specs, history_s=LENGTH_S + 2 * HOP_S
    )
    windower = Windower(WindowConfig(LENGTH_S, HOP_S))
    n, in_engine = 0, 0.0
    clock = time.perf_counter
    start = clock()
    for i in range(len(chunks) + 1):
        if i < len(chunks):
            windower.push(chunks[i][1])
        for window in windower.pop_ready(flush=i == len(chunks)):
            t = clock()
            engine.process(window)
            in_engine += clock() - t
            n += 1
    return in_engine, clock() - start, n


def nk_hrv(peaks: np.ndarray, fs: float) -> None:
    if len(peaks) > 3:
        nk.hrv_time(peaks, sampling_rate=fs)


def nk_e4_window(bvp: np.ndarray, eda: np.ndarray, temp: np.ndarray) -> None:
    peaks = nk.ppg_findpeaks(nk.ppg_clean(bvp, sampling_rate=64), sampling_rate=64)
    nk_hrv(peaks["PPG_Peaks"], 64)
    nk.eda_process(eda, sampling_rate=4)
    float(np.mean(temp)), np.polyfit(np.arange(temp.size), temp, 1)


def nk_ecg_window(ecg: np.ndarray, fs: float) -> None:
    _, info = nk.ecg_peaks(nk.ecg_clean(ecg, sampling_rate=fs), sampling_rate=fs)
    nk_hrv(info["ECG_R_Peaks"], fs)


def time_baseline(starts: np.ndarray, work) -> float:
    """Mean seconds per window of `work(t_start)` over the given window starts."""
    begin = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for t in starts:
            work(t)
    return (time.perf_counter() - begin) / len(starts)


def time_whole_process(folder: Path, runs: int) -> list[float]:
    """Wall seconds of `emostream process folder` in a fresh process, `runs` times (after
    byte-compiling the package as `make` does, and one untimed run, which leaves the compiled
    loops and the files in their caches)."""
    package_dir = Path(emostream.__file__).parent
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package_dir)], check=True)
    times = []
    with tempfile.TemporaryDirectory() as out:
        command = [sys.executable, "-m", "emostream", "process", str(folder), "--out", out]
        command += ["--overwrite", "--quiet", "--no-cache"]
        for k in range(runs + 1):
            start = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True)
            if k:
                times.append(time.perf_counter() - start)
    return times


def report(
    name: str,
    duration_s: float,
    ours: tuple[float, float, int],
    per_window_s: float,
    n_sampled: int,
) -> float:
    """Prints the figures; returns the baseline's seconds for all windows."""
    extract_s, total_s, n_windows = ours
    base_s = per_window_s * n_windows
    print(
        f"\n{name}: {duration_s / 60:.1f} min of data, {n_windows} windows ({LENGTH_S:.0f} s, hop {HOP_S:.0f} s)"
    )
    print(
        f"  emostream extractors      {extract_s:8.2f} s  {duration_s / extract_s:7.0f}x real time"
    )
    print(f"  emostream incl. windowing {total_s:8.2f} s  {duration_s / total_s:7.0f}x real time")
    print(
        f"  NeuroKit2 per window      {base_s:8.1f} s  {duration_s / base_s:7.1f}x real time "
        f"(timed on {n_sampled} windows, extrapolated to {n_windows})"
    )
    print(
        f"  ratio: extractors {base_s / extract_s:.0f}x, incl. windowing {base_s / total_s:.0f}x "
        "faster than the NeuroKit2 baseline"
    )
    return base_s


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--subject", default="S02")
    parser.add_argument("--baseline-windows", type=int, default=30)
    parser.add_argument("--process-runs", type=int, default=3)
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        print(
            f"{args.data}: real recordings not found (see ../shared/data/README.md)",
            file=sys.stderr,
        )
        return 2
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"load average before the run: {load} on {os.cpu_count()} cores")
    print(
        f"machine: {platform.machine()}, Python {platform.python_version()}, "
        f"numpy {np.__version__}, neurokit2 {nk.__version__}"
    )

    # --- E4 session -----------------------------------------------------------------------
    rec = e4.read(args.data / "stress_predict" / "Raw_data" / args.subject)
    keys = ("ppg", "eda", "temp", "acc")
    streams = {
        k: (rec.streams[k].spec, rec.streams[k].timestamps, rec.streams[k].data) for k in keys
    }
    features = {"hrv": {"stream": "ppg"}, "eda": {}, "temp": {}, "acc": {}}
    print(f"warm-up (first use of the compiled loops): {warm_up(streams, features):.2f} s")
    ours = run_ours(streams, features)
    bvp, eda, temp = (rec.streams[k] for k in ("ppg", "eda", "temp"))

    def e4_window(t_start: float) -> None:
        cut = [
            (s.timestamps > t_start) & (s.timestamps <= t_start + LENGTH_S)
            for s in (bvp, eda, temp)
        ]
        nk_e4_window(bvp.data[cut[0], 0], eda.data[cut[1], 0], temp.data[cut[2], 0])

    starts = np.linspace(0, rec.duration_s - LENGTH_S - 1, args.baseline_windows)
    base_s = report(
        f"E4 session Stress-Predict {args.subject} (BVP 64 Hz, EDA 4 Hz, TEMP 4 Hz, ACC 32 Hz)",
        rec.duration_s,
        ours,
        time_baseline(starts, e4_window),
        len(starts),
    )
    folder = args.data / "stress_predict" / "Raw_data" / args.subject
    runs = time_whole_process(folder, args.process_runs)
    whole_s = statistics.median(runs)
    print(
        f"  whole `emostream process` {whole_s:8.2f} s  {rec.duration_s / whole_s:7.0f}x real time "
        f"(median of {len(runs)} fresh processes: {', '.join(f'{t:.2f}' for t in runs)} s); "
        f"{base_s / whole_s:.0f}x faster than the NeuroKit2 baseline"
    )

    # --- 1 h ECG --------------------------------------------------------------------------
    stream = wfdb.read(args.data / "drivedb" / "drive05.hea").streams["ecg"]
    fs = stream.spec.rate_hz
    ecg, ts = stream.data[: int(3600 * fs), 0], stream.timestamps[: int(3600 * fs)]
    ecg_stream = {"ecg": (stream.spec, ts, ecg[:, None])}
    print(f"\nwarm-up (first use of the compiled loops): {warm_up(ecg_stream, {'hrv': {}}):.2f} s")
    ours = run_ours(ecg_stream, {"hrv": {}})

    def ecg_window(t_start: float) -> None:
        lo, hi = np.searchsorted(ts, (t_start, t_start + LENGTH_S), side="right")
        nk_ecg_window(ecg[lo:hi], fs)

    starts = np.linspace(0, 3600 - LENGTH_S - 1, args.baseline_windows)
    report(
        "ECG drivedb drive05, first 60 min (496 Hz)",
        ts[-1],
        ours,
        time_baseline(starts, ecg_window),
        len(starts),
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
