"""One suite every registered extractor must pass (as river does for its estimators).

- it is configurable from an empty `[features.<name>]` table and rejects unknown keys;
- on a plausible input it emits finite floats under `<signal>_...` names, qualities in 0..1,
  and a reason for every group it leaves absent;
- streamed in random chunk sizes (Hypothesis) it gives exactly what it gives when each
  window's new samples arrive in one piece, and `reset()` forgets everything.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import re
import zlib

import neurokit2 as nk
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emostream.core.spec import KNOWN_KINDS, StreamSpec, text_spec
from emostream.errors import ConfigError
from emostream.features.base import ExtractorOutput
from emostream.features.face import face_channels
from emostream.features.registry import EXTRACTORS, parse_feature_tables
from emostream.windowing import StreamSlice, Window

DURATION_S, LENGTH_S, HOP_S = 50.0, 30.0, 5.0
NAMES = sorted(EXTRACTORS)
COLUMN_RE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$")


def _spec(kind: str, rate_hz: float, channels: tuple[str, ...], unit: str) -> StreamSpec:
    return StreamSpec(kind, f"conf-{kind}", channels, (unit,) * len(channels), rate_hz, f"c-{kind}")


@functools.cache
def example_input(kind: str) -> tuple[StreamSpec, np.ndarray, np.ndarray]:
    """A plausible (spec, timestamps, data) of DURATION_S for a stream kind."""
    rng = np.random.default_rng(zlib.crc32(kind.encode()))
    n_s = DURATION_S

    def regular(rate_hz: float, data: np.ndarray, channels: tuple[str, ...], unit: str):
        data = np.asarray(data, dtype=float).reshape(len(data), -1)
        ts = 1000.0 + np.arange(data.shape[0]) / rate_hz
        return _spec(kind, rate_hz, channels, unit), ts, data

    if kind == "ECG":
        x = nk.ecg_simulate(duration=int(n_s), sampling_rate=250, heart_rate=72, random_state=1)
        return regular(250.0, x, ("ECG",), "millivolts")
    if kind == "PPG":
        x = nk.ppg_simulate(duration=int(n_s), sampling_rate=64, heart_rate=72, random_state=1)
        return regular(64.0, x, ("BVP",), "au")
    if kind == "RR":
        rri_ms = 820 + 40 * np.sin(np.arange(80) / 3) + rng.normal(0, 10, 80)
        ts = 1000.0 + np.cumsum(rri_ms) / 1000.0
        return _spec(kind, 0.0, ("rri_ms",), "ms"), ts, rri_ms[:, None]
    if kind == "EDA":
        x = nk.eda_simulate(duration=int(n_s), sampling_rate=4, scr_number=6, random_state=1)
        return regular(4.0, 2.0 + x, ("EDA",), "microsiemens")
    if kind == "RSP":
        x = nk.rsp_simulate(
            duration=int(n_s), sampling_rate=50, respiratory_rate=15, random_state=1
        )
        return regular(50.0, x, ("RSP",), "au")
    if kind == "TEMP":
        t = np.arange(int(n_s * 4)) / 4
        return regular(4.0, 33 + 0.01 * t + rng.normal(0, 0.02, t.size), ("TEMP",), "celsius")
    if kind == "HR":
        t = np.arange(int(n_s))
        return regular(1.0, 72 + 3 * np.sin(t / 5) + rng.normal(0, 1, t.size), ("HR",), "bpm")
    if kind == "ACC":
        xyz = rng.normal(0, 0.05, (int(n_s * 32), 3)) + np.array([0.0, 0.0, 1.0])
        return regular(32.0, xyz, ("x", "y", "z"), "g")
    if kind == "EEG":
        t = np.arange(int(n_s * 256)) / 256
        noise = np.cumsum(rng.normal(0, 1, (t.size, 4)), axis=0) * 0.5
        noise -= np.linspace(noise[0], noise[-1], t.size)
        alpha = 10 * np.sin(2 * np.pi * 10 * t)[:, None] * [1.0, 0.8, 1.2, 1.0]
        return regular(256.0, noise + alpha, ("TP9", "AF7", "AF8", "TP10"), "microvolts")
    if kind == "Audio":
        t = np.arange(int(n_s * 8000)) / 8000
        voiced = (np.sin(2 * np.pi * 0.5 * t) > 0).astype(float)
        x = voiced * sum(np.sin(2 * np.pi * 140 * k * t) / k for k in range(1, 6))
        return regular(8000.0, 0.1 * x + rng.normal(0, 0.002, t.size), ("mic",), "au")
    if kind == "Face":
        channels = face_channels()
        data = rng.uniform(0, 1, (int(n_s * 10), len(channels)))
        data[:, 0] = 0.95
        return regular(10.0, data, channels, "au")
    if kind == "Text":
        lines = ["I love this :)", "I can't stand it.", "Where is the exit?", "Fine.", "Great!"]
        ts = 1000.0 + np.cumsum(rng.exponential(3.0, int(n_s / 3.0)))
        ts = ts[ts < 1000.0 + n_s]
        data = np.array([[lines[i % len(lines)]] for i in range(ts.size)], dtype=object)
        return text_spec("conf-Text", "c-Text"), ts, data
    raise AssertionError(f"add an example input for stream kind {kind!r} to the conformance suite")


def windows_of(stream: tuple[StreamSpec, np.ndarray, np.ndarray]):
    """(t_start, t_end) of the windows over the example input."""
    _, ts, _ = stream
    first = math.ceil((ts[0] + LENGTH_S) / HOP_S) * HOP_S
    return [(e - LENGTH_S, e) for e in np.arange(first, ts[-1] + 1e-9, HOP_S)]


def run(name: str, chunk_sizes: list[int] | None = None) -> list[ExtractorOutput]:
    """Feed the example input window by window; each window's fresh samples are split into
    `chunk_sizes` (cycled) when given, else fed in one piece."""
    cls = EXTRACTORS[name]
    spec, ts, data = example_input(cls.kinds[0])
    extractor = cls(spec, cls.Params())
    key = spec.kind.lower()
    # chunk sizes are in units of ~1/50 s of samples, so fast streams do not take ages
    scale = max(1, int(spec.rate_hz // 50))
    sizes = [n * scale for n in chunk_sizes] if chunk_sizes else [ts.size]
    outputs, prev_end, k = [], -np.inf, 0
    for t_start, t_end in windows_of((spec, ts, data)):
        lo, hi = np.searchsorted(ts, (max(prev_end, t_start), t_end), side="right")
        if prev_end == -np.inf:
            lo = 0
        i = lo
        while i < hi:
            n = sizes[k % len(sizes)]
            k += 1
            extractor.update(ts[i : min(i + n, hi)], data[i : min(i + n, hi)])
            i += n
        w_lo, w_hi = np.searchsorted(ts, (t_start, t_end), side="right")
        part = StreamSlice(spec, ts[w_lo:w_hi], data[w_lo:w_hi], ts[lo:hi], data[lo:hi])
        window = Window(0, t_start, t_end, {key: part}, [], [], {key: 1.0}, {key: ()})
        outputs.append(extractor.compute(window, key))
        prev_end = t_end
    return outputs


@functools.cache
def whole_run(name: str) -> list[ExtractorOutput]:
    return run(name)


@pytest.mark.parametrize("name", NAMES)
def test_declares_name_kinds_and_params(name):
    cls = EXTRACTORS[name]
    assert cls.name == name
    assert cls.kinds and set(cls.kinds) <= set(KNOWN_KINDS)
    assert dataclasses.is_dataclass(cls.Params)
    assert isinstance(parse_feature_tables({name: {}}, "p.toml")[name], cls.Params)
    with pytest.raises(ConfigError):
        parse_feature_tables({name: {"no_such_key": 1}}, "p.toml")


@pytest.mark.parametrize("name", NAMES)
def test_outputs_are_finite_named_and_explained(name):
    outputs = run(name)
    assert outputs
    assert any(out.values for out in outputs), f"{name} produced no features on a clean input"
    for out in outputs:
        for column, value in out.values.items():
            assert COLUMN_RE.match(column), column
            assert isinstance(value, float) and math.isfinite(value), (column, value)
        for signal_name, q in out.quality.items():
            assert 0.0 <= q <= 1.0, (signal_name, q)
        if not out.values:
            assert out.reasons, f"{name}: empty output without a reason"


@pytest.mark.parametrize("name", NAMES)
@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(sizes=st.lists(st.integers(1, 300), min_size=1, max_size=12))
def test_streaming_in_random_chunks_equals_whole(name, sizes):
    expected = whole_run(name)
    got = run(name, sizes)
    for a, b in zip(got, expected, strict=True):
        assert a.values.keys() == b.values.keys()
        for column in a.values:
            assert a.values[column] == pytest.approx(b.values[column], rel=1e-9, abs=1e-12)
        assert a.quality == pytest.approx(b.quality, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_reset_forgets_state(name):
    cls = EXTRACTORS[name]
    spec, ts, data = example_input(cls.kinds[0])
    extractor = cls(spec, cls.Params())
    extractor.update(ts, data)
    extractor.reset()
    fresh = cls(spec, cls.Params())
    t_end = float(ts[-1])
    key = spec.kind.lower()
    part = StreamSlice(spec, ts[:0], data[:0], ts[:0], data[:0])
    window = Window(0, t_end - LENGTH_S, t_end, {key: part}, [], [], {key: 0.0}, {key: ()})
    assert extractor.compute(window, key).values == fresh.compute(window, key).values
