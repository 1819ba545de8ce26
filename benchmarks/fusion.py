"""Fusion speed: per-window cost of 16 kHz voice and 30 Hz face features beside physiology,
against Praat (parselmouth) analysing each window's audio, in the same run.

    .venv/bin/python benchmarks/fusion.py [--minutes 6] [--hop 1] [--repeats 3] [--baseline-windows 5]
        [--speech protocol|continuous]

A synthetic wearer (ECG 250 Hz, EDA 16 Hz, RSP 32 Hz, TEMP 4 Hz, EEG 4 × 256 Hz) plus its
face (30 Hz, 25 channels) and voice (16 kHz) streams is rendered first (not timed), cut into
0.1 s chunks as a live source delivers them, and pushed through Windower + FeatureEngine,
60 s windows, 1 s hop (`--hop 5`: the demo's). Timed, taking turns, best of `--repeats`:
physiology alone, face + voice alone, and all together. Baseline:
parselmouth's pitch, pulses, jitter, shimmer and harmonicity on each window's 60 s of audio,
timed on `--baseline-windows` windows and extrapolated to all (printed as such).
`--speech continuous` replaces the wearer's voice, which talks part of the time, by one that
never pauses: the voice analysis's worst case. The 1 min
load average is printed before and after: other processes sharing the cores slow every figure.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import time

import numpy as np
import parselmouth
from parselmouth.praat import call

from emostream.core.chunk import Chunk
from emostream.core.spec import StreamSpec
from emostream.features.engine import FeatureEngine
from emostream.features.face import face_channels
from emostream.features.registry import parse_feature_tables
from emostream.synth.physiology import EEG_CHANNELS, make_timeline
from emostream.synth.protocol import Protocol
from emostream.synth.streams import renderer_for
from emostream.windowing import WindowConfig, Windower

LENGTH_S, CHUNK_S = 60.0, 0.1
PHYSIOLOGY = {"ECG": 250.0, "EDA": 16.0, "RSP": 32.0, "TEMP": 4.0, "EEG": 256.0}
CHANNELS = {"EEG": EEG_CHANNELS, "Face": face_channels(), "Audio": ("mic",)}
PHYSIOLOGY_FEATURES = {"hrv": {}, "eda": {}, "rsp": {}, "temp": {}, "eeg": {}}


def render(minutes: float, seed: int = 1) -> dict[str, tuple[StreamSpec, np.ndarray, np.ndarray]]:
    """Every stream of the session, whole: key -> (spec, timestamps, data)."""
    phases = tuple((name, d * minutes / 12.0) for name, d in Protocol().phases)
    protocol = Protocol(phases)
    timeline = make_timeline(protocol, protocol.duration_s, seed)
    out = {}
    for kind, fs in (*PHYSIOLOGY.items(), ("Face", 30.0), ("Audio", 16000.0)):
        t, x = renderer_for(timeline, kind, fs, seed).render(int(protocol.duration_s * fs))
        channels = CHANNELS.get(kind, (kind,))
        spec = StreamSpec(kind, f"bench-{kind}", channels, ("",) * len(channels), fs, f"b:{kind}")
        out[kind.lower()] = (spec, t, x.astype(np.float32))
    return out


def continuous_speech(timestamps: np.ndarray, seed: int = 1) -> np.ndarray:
    """A voice that never pauses (the worst case for the voice analysis): 11 harmonics of an
    F0 gliding 100–180 Hz, syllable-rate loudness, a little noise; samples × 1."""
    fs = 16000.0
    f0_hz = 140.0 + 40.0 * np.sin(2 * np.pi * 0.2 * timestamps)
    phase = 2 * np.pi * np.cumsum(f0_hz) / fs
    voice = sum(np.sin(k * phase) / k for k in range(1, 12))
    loudness = 0.2 * (1.2 + np.sin(2 * np.pi * 4.0 * timestamps))
    noise = np.random.default_rng(seed).normal(0.0, 0.005, timestamps.size)
    return (voice * loudness + noise)[:, None].astype(np.float32)


def chunked(streams: dict[str, tuple[StreamSpec, np.ndarray, np.ndarray]]) -> list[Chunk]:
    """All streams cut into CHUNK_S chunks, in the order a live source would deliver them."""
    items = []
    for spec, ts, data in streams.values():
        edges = np.searchsorted(ts, np.arange(0.0, ts[-1] + CHUNK_S, CHUNK_S), side="right")
        items += [
            (ts[b - 1], Chunk(spec, ts[a:b], data[a:b]))
            for a, b in itertools.pairwise(edges)
            if b > a
        ]
    items.sort(key=lambda item: item[0])
    return [chunk for _, chunk in items]


def run(streams: dict, features: dict, hop_s: float) -> tuple[float, int, dict[str, float]]:
    """Seconds to window and extract everything, windows made, and the last window's row."""
    engine = FeatureEngine(
        parse_feature_tables(features, None),
        {k: s for k, (s, _, _) in streams.items()},
        history_s=LENGTH_S + 2 * hop_s,
    )
    windower = Windower(WindowConfig(LENGTH_S, hop_s))
    chunks = chunked(streams)
    n, row = 0, {}
    start = time.perf_counter()
    for chunk in chunks:
        windower.push(chunk)
        for window in windower.pop_ready():
            row = engine.process(window).row()
            n += 1
    return time.perf_counter() - start, n, row


def praat_window(x: np.ndarray, fs: float) -> None:
    snd = parselmouth.Sound(x.astype(np.float64), fs)
    snd.to_pitch_ac(time_step=0.01, pitch_floor=75.0, pitch_ceiling=600.0)
    pulses = call(snd, "To PointProcess (periodic, peaks)", 75.0, 600.0, "yes", "no")
    call(pulses, "Get jitter (local)", 0, 0, 1e-4, 0.02, 1.3)
    call([snd, pulses], "Get shimmer (local)", 0, 0, 1e-4, 0.02, 1.3, 1.6)
    snd.to_harmonicity_ac(0.01, 75.0, 0.1, 4.5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=6.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--baseline-windows", type=int, default=5)
    parser.add_argument("--hop", type=float, default=1.0, help="window hop in s (demo: 5)")
    parser.add_argument(
        "--speech",
        choices=("protocol", "continuous"),
        default="protocol",
        help="the synthetic wearer's voice (talks part of the time) or one that never pauses",
    )
    args = parser.parse_args(argv)
    print(
        f"machine: {platform.machine()}, Python {platform.python_version()}, "
        f"numpy {np.__version__}, parselmouth {parselmouth.__version__}, "
        f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"
    )
    streams = render(args.minutes)
    if args.speech == "continuous":
        spec, audio_t, _ = streams["audio"]
        streams["audio"] = (spec, audio_t, continuous_speech(audio_t))
    duration_s = args.minutes * 60.0
    physiology = {k: v for k, v in streams.items() if k not in ("face", "audio")}
    face_voice = {k: streams[k] for k in ("face", "audio")}
    setups = {
        "physiology only": (physiology, PHYSIOLOGY_FEATURES),
        "face + voice only": (face_voice, {"face": {}, "voice": {}}),
        "physiology + face + voice": (streams, {**PHYSIOLOGY_FEATURES, "face": {}, "voice": {}}),
    }
    # the setups take turns, best of --repeats: other processes share the cores
    best = dict.fromkeys(setups, np.inf)
    for _ in range(args.repeats):
        for name, (chosen, features) in setups.items():
            seconds, n_windows, row = run(chosen, features, args.hop)
            best[name] = min(best[name], seconds)
    _, audio_t, audio = streams["audio"]
    starts = np.linspace(0.0, duration_s - LENGTH_S, args.baseline_windows)
    begin = time.perf_counter()
    for t0 in starts:
        lo, hi = np.searchsorted(audio_t, (t0, t0 + LENGTH_S), side="right")
        praat_window(audio[lo:hi, 0], 16000.0)
    praat_s = (time.perf_counter() - begin) / len(starts) * n_windows

    print(
        f"\n{args.minutes:g} min synthetic session ({args.speech} speech), {n_windows} windows "
        f"({LENGTH_S:.0f} s, hop {args.hop:g} s), best of {args.repeats}"
    )
    for name, seconds in best.items():
        print(
            f"  {name:26s} {seconds:7.2f} s  {1e3 * seconds / n_windows:7.2f} ms/window  "
            f"{duration_s / seconds:6.0f}x real time"
        )
    print(
        f"  Praat on each window's audio: {praat_s:.1f} s for all windows "
        f"(timed on {len(starts)}, extrapolated), {duration_s / praat_s:.2f}x real time"
    )
    print(
        f"  ratio: face + voice {praat_s / best['face + voice only']:.0f}x faster than Praat per window"
    )
    print(f"  load average at the end: {os.getloadavg()[0]:.2f}")
    voice_keys = sorted(k for k in row if k.startswith(("voice_", "face_au12")))
    print("  last window:", {k: round(row[k], 2) for k in voice_keys})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
