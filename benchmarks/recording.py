"""Session loading against pyxdf, and the recorder's CPU cost at real-time rates.

1. A 1 h multi-stream session (ECG 500 Hz, EDA 4 Hz, EEG 4 x 256 Hz, a marker every 30 s) is
   recorded by `RecorderSink` (fed as fast as possible) and the same data written as XDF.
   Both are loaded (best of N): emostream's reader (memory-mapped Parquet) against pyxdf
   (with and without its clock synchronisation and dejittering). Prints the ratios.
2. The same four streams are fed at real time in 0.1 s chunks for S seconds, once without a
   sink and once into a `RecorderSink`; the difference in process CPU time (all threads) over
   wall time is the recorder's overhead in % of one core.

Usage: python benchmarks/recording.py [--hours H] [--realtime-s S] [--repeats N]
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from emostream.core.chunk import Chunk
from emostream.core.spec import StreamSpec, markers_spec
from emostream.formats import session, xdf
from emostream.formats.base import RecordedStream, Recording
from emostream.sinks.recorder import RecorderSink
from emostream.sources.recording import RecordingSource

SPECS = {
    "ecg": StreamSpec("ECG", "bench-ECG", ("ECG",), ("uV",), 500.0, "bench-ecg"),
    "eda": StreamSpec("EDA", "bench-EDA", ("EDA",), ("uS",), 4.0, "bench-eda"),
    "eeg": StreamSpec(
        "EEG", "bench-EEG", ("TP9", "AF7", "AF8", "TP10"), ("uV",) * 4, 256.0, "bench-eeg"
    ),
}


def make_recording(duration_s: float, seed: int = 0) -> Recording:
    rng = np.random.default_rng(seed)
    streams = {}
    for key, spec in SPECS.items():
        n = int(duration_s * spec.rate_hz)
        ts = 1000.0 + np.arange(n) / spec.rate_hz
        data = rng.standard_normal((n, spec.n_channels)).astype(np.float32)
        streams[key] = RecordedStream(spec, ts, data)
    t_mark = 1000.0 + np.arange(15.0, duration_s, 30.0)
    labels = np.array([[f"phase-{i % 4}"] for i in range(len(t_mark))], dtype=object)
    streams["markers"] = RecordedStream(markers_spec("bench-M", "bench-m"), t_mark, labels)
    return Recording(streams)


async def _chunks(recording: Recording) -> list[Chunk]:
    return [e async for e in RecordingSource(recording).events() if isinstance(e, Chunk)]


def record_session(recording: Recording, root: Path) -> Path:
    sink = RecorderSink(root, subject="bench", live=False)
    sink.open(None)
    for chunk in asyncio.run(_chunks(recording)):
        sink.on_chunk(chunk)
    sink.close()
    assert sink.path is not None
    return sink.path


def best_of(repeats: int, fn) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def realtime_cpu_pct(chunks_per_s: list[list[Chunk]], seconds: float, sink) -> float:
    """Feed one second's chunks every second (in 0.1 s steps); CPU % of one core."""
    if sink is not None:
        sink.open(None)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    step = 0
    while True:
        due = wall0 + step * 0.1
        now = time.perf_counter()
        if now - wall0 >= seconds:
            break
        if due > now:
            time.sleep(due - now)
        for chunk in chunks_per_s[step % len(chunks_per_s)]:
            if sink is not None:
                sink.on_chunk(chunk)
        step += 1
    if sink is not None:
        sink.close()
    return 100.0 * (time.process_time() - cpu0) / (time.perf_counter() - wall0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=1.0)
    parser.add_argument("--realtime-s", type=float, default=30.0)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"python {platform.python_version()}, {platform.machine()}")
    tmp = Path(tempfile.mkdtemp(prefix="emostream-bench-"))
    try:
        recording = make_recording(args.hours * 3600.0)
        n = sum(len(s.timestamps) for s in recording.streams.values())
        t = time.perf_counter()
        folder = record_session(recording, tmp / "sessions")
        t_record = time.perf_counter() - t
        xdf_path = xdf.write(recording, tmp / "same.xdf")
        size_session = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
        print(
            f"{args.hours:g} h, {n} samples: session {size_session / 1e6:.1f} MB "
            f"(recorded+finalised in {t_record:.1f} s), XDF {xdf_path.stat().st_size / 1e6:.1f} MB"
        )
        t_ours = best_of(args.repeats, lambda: session.read(folder))
        t_raw = best_of(
            args.repeats,
            lambda: xdf.read(xdf_path, synchronize_clocks=False, dejitter_timestamps=False),
        )
        t_sync = best_of(args.repeats, lambda: xdf.read(xdf_path))
        print(f"load emostream session        : {t_ours * 1e3:8.1f} ms")
        print(
            f"load XDF, pyxdf (no sync)     : {t_raw * 1e3:8.1f} ms  ratio {t_raw / t_ours:6.1f}x"
        )
        print(
            f"load XDF, pyxdf (sync+dejit.) : {t_sync * 1e3:8.1f} ms  ratio {t_sync / t_ours:6.1f}x"
        )

        one_s = make_recording(1.0, seed=1)
        per_step = [[] for _ in range(10)]
        for chunk in asyncio.run(_chunks(one_s)):
            per_step[min(int((chunk.t_last - 1000.0) / 0.1), 9)].append(chunk)
        base = realtime_cpu_pct(per_step, args.realtime_s, None)
        rec = realtime_cpu_pct(
            per_step, args.realtime_s, RecorderSink(tmp / "rt", subject="bench", live=False)
        )
        print(
            f"real-time feed {args.realtime_s:g} s: CPU without recorder {base:.2f} %, with "
            f"recorder {rec:.2f} %, recorder overhead {rec - base:.2f} % of one core"
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
