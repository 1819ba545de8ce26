"""Windowing under any cross-stream interleaving of chunks, with and without lag-triggered
closing: a window closes once every stream has delivered data up to its end, or once a stream
lags the newest one by more than `max_lag_s`, and never before; a window closed with all its
data equals the one built from the whole recording; each sample is handed out at most once
(fresh in a window, or before the first window in a lead-in, once final)."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from emostream.core.chunk import Chunk
from emostream.core.spec import StreamSpec
from emostream.windowing import WindowConfig, Windower

ECG = StreamSpec("ECG", "ecg", ("ECG",), ("mV",), 100.0, "i:ecg")
EDA = StreamSpec("EDA", "eda", ("EDA",), ("uS",), 4.0, "i:eda")
DURATION_S = 30.0


def _stream(spec: StreamSpec) -> tuple[np.ndarray, np.ndarray]:
    ts = np.arange(0, DURATION_S * spec.rate_hz) / spec.rate_hz
    return ts, np.sin(ts)[:, None]


def _chunks(spec: StreamSpec, splits: list[int]) -> list[Chunk]:
    ts, x = _stream(spec)
    bounds = [0, *sorted({s for s in splits if 0 < s < ts.size}), ts.size]
    return [Chunk(spec, ts[a:b], x[a:b]) for a, b in itertools.pairwise(bounds)]


@given(
    ecg_splits=st.lists(st.integers(0, 3000), max_size=30),
    eda_splits=st.lists(st.integers(0, 120), max_size=15),
    order=st.lists(st.booleans(), max_size=60),
    max_lag_s=st.sampled_from([0.0, 0.5, 3.0, 100.0]),
)
@settings(max_examples=80, deadline=None)
def test_windows_close_by_data_and_lag_under_any_interleaving(
    ecg_splits: list[int], eda_splits: list[int], order: list[bool], max_lag_s: float
) -> None:
    config = WindowConfig(length_s=10.0, hop_s=2.0, max_lag_s=max_lag_s)
    reference = Windower(config)
    for spec in (ECG, EDA):
        reference.push(Chunk(spec, *_stream(spec)))
    expected = {w.t_end: w for w in reference.pop_ready(flush=True)}

    queues = {"ecg": _chunks(ECG, ecg_splits), "eda": _chunks(EDA, eda_splits)}
    picks = [("ecg" if o else "eda") for o in order] + ["ecg"] * 3000 + ["eda"] * 120
    w = Windower(config)
    w.add_stream(ECG)
    w.add_stream(EDA)
    newest = {"ecg": -np.inf, "eda": -np.inf}
    got = []
    led: list[np.ndarray] = []  # ECG samples handed out before the first window
    for key in picks:
        if not queues[key]:
            continue
        chunk = queues[key].pop(0)
        w.push(chunk)
        newest[key] = float(chunk.timestamps[-1])
        closable = max(min(newest.values()), max(newest.values()) - max_lag_s)
        windows = w.pop_ready()
        if not windows:
            for key, (ts, _) in w.pop_lead_in().items():
                assert ts[-1] <= closable + 1e-9, "a lead-in handed out samples not yet final"
                if key == "ecg":
                    led.append(ts)
        for window in windows:
            assert window.t_end <= closable + 1e-9, "a window closed before its time"
            complete = all(newest[k] >= window.t_end for k in newest)
            if complete:  # closed with all its data: as if built from the whole recording
                ref = expected[window.t_end]
                for k in newest:
                    np.testing.assert_array_equal(window.streams[k].data, ref.streams[k].data)
                assert window.coverage == ref.coverage
            else:  # closed by lag: a lagging stream's samples so far, never more
                for k in newest:
                    assert window.coverage[k] <= expected[window.t_end].coverage[k]
            got.append(window)
        if got:  # the next window is held back only while no rule lets it close
            next_end = got[-1].t_end + config.hop_s
            assert next_end > closable - 1e-9, "a window that may close was held back"
        if not any(queues.values()):
            break
    got += w.pop_ready(flush=True)
    assert [x.t_end for x in got] == sorted(expected)  # each window once, in order
    fresh = np.concatenate(led + [x.streams["ecg"].fresh_timestamps for x in got])
    assert np.all(np.diff(fresh) > 0), "a sample is fresh in more than one window"
    if max_lag_s >= DURATION_S:  # nothing closes by lag: every windowed sample is fresh once
        ts = _stream(ECG)[0]
        np.testing.assert_array_equal(fresh, ts[ts <= got[-1].t_end])
