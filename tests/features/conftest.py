"""Helpers for feature tests: real signals from ../shared/data and a window runner."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from emostream.core.chunk import Chunk
from emostream.core.spec import StreamSpec
from emostream.features.base import FeatureVector
from emostream.features.engine import FeatureEngine
from emostream.formats import wfdb
from emostream.windowing import WindowConfig, Windower


@dataclass(frozen=True)
class Span:
    """A window's time span, as extractors' `compute` reads it."""

    t_start: float
    t_end: float


def spec(kind: str, rate_hz: float, unit: str = "", channels: tuple[str, ...] = ()) -> StreamSpec:
    channels = channels or (kind,)
    return StreamSpec(kind, f"test-{kind}", channels, (unit,) * len(channels), rate_hz, f"t-{kind}")


def neurokit_column(shared: Path, name: str, column: str) -> np.ndarray:
    return pd.read_csv(shared / "neurokit" / name)[column].to_numpy(dtype=float)


def drive05_ecg(shared: Path, seconds: float) -> tuple[np.ndarray, float]:
    """First `seconds` of drive05's ECG (496 Hz, millivolts)."""
    ecg = wfdb.read(shared / "drivedb" / "drive05.hea").streams["ecg"]
    fs_hz = ecg.spec.rate_hz
    return ecg.data[: int(seconds * fs_hz), 0], fs_hz


def run_windows(
    engine: FeatureEngine,
    streams: dict[str, tuple[StreamSpec, np.ndarray, np.ndarray]],
    config: WindowConfig,
    chunk_s: float = 0.5,
) -> list[FeatureVector]:
    """Feed streams (spec, timestamps, data) to a Windower in time-ordered chunks."""
    windower = Windower(config)
    t0 = min(ts[0] for _, ts, _ in streams.values())
    t1 = max(ts[-1] for _, ts, _ in streams.values())
    out: list[FeatureVector] = []
    for a in np.arange(t0, t1 + chunk_s, chunk_s):
        for s, ts, data in streams.values():
            lo, hi = np.searchsorted(ts, (a, a + chunk_s), side="left")
            if hi > lo:
                windower.push(Chunk.from_arrays(s, ts[lo:hi], data[lo:hi]))
        out.extend(engine.process(w) for w in windower.pop_ready())
    out.extend(engine.process(w) for w in windower.pop_ready(flush=True))
    return out
