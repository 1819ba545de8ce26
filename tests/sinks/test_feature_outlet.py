"""The Features LSL outlet, read by a plain pylsl inlet on loopback: a fixed channel set with
units, one sample per window at its end time, every window in order from the first, and an
absent feature as NaN (never 0)."""

from __future__ import annotations

import math
import threading

import numpy as np
import pylsl

from emostream.features.base import FeatureVector
from emostream.sinks import outputs
from emostream.sinks.outputs import FeatureOutletSink


def _window(t_end: float, values: dict[str, float], reasons: dict[str, str]) -> FeatureVector:
    return FeatureVector(
        t_end - 60.0,
        t_end,
        values=values,
        quality={"ecg": 0.9, "eda": 0.8 if "eda_scl_us" in values else 0.1},
        coverage={"ecg": 1.0, "eda": 1.0},
        reasons=reasons,
    )


def test_absent_feature_is_nan_on_a_fixed_channel_set(unique_name):
    sink = FeatureOutletSink(name=unique_name, source_id=f"{unique_name}:features")
    # the outlet is declared at the first window in which every extractor gave its features
    sink.on_window(_window(100.0, {"hr_bpm": 70.0, "eda_scl_us": 4.2}, {}), None)
    assert sink.spec is not None and sink.outlet is not None
    sink.outlet.result(timeout=10.0)  # made in a thread of its own; that window is held
    (info,) = pylsl.resolve_byprop("source_id", sink.spec.source_id, 1, 10.0)
    inlet = pylsl.StreamInlet(info, processing_flags=pylsl.proc_none)
    try:
        inlet.open_stream(10.0)
        full = inlet.info(10.0)
        later = [
            _window(101.0, {"hr_bpm": 71.0}, {"eda": "quality_eda 0.10 < 0.50 (flat)"}),
            # a feature first seen now cannot join the declared channels
            _window(102.0, {"hr_bpm": 72.0, "eda_scl_us": 4.3, "rsp_rate_bpm": 14.0}, {}),
        ]
        for w in later:
            sink.on_window(w, None)
        samples, stamps = [], []
        for _ in range(1 + len(later)):
            sample, t = inlet.pull_sample(timeout=10.0)
            assert t is not None, "no sample arrived"
            samples.append(sample)
            stamps.append(t)
    finally:
        inlet.close_stream()
        sink.close()

    channels = (
        "hr_bpm",
        "eda_scl_us",
        "quality_ecg",
        "quality_eda",
        "coverage_ecg",
        "coverage_eda",
    )
    assert sink.spec.channels == channels
    ch = full.desc().child("channels").child("channel")
    labels, units = [], []
    while not ch.empty():
        labels.append(ch.child_value("label"))
        units.append(ch.child_value("unit"))
        ch = ch.next_sibling("channel")
    assert tuple(labels) == channels
    assert units[:2] == ["bpm", "us"]
    assert stamps == [100.0, 101.0, 102.0]
    rows = [dict(zip(channels, s, strict=True)) for s in samples[1:]]
    assert rows[0]["hr_bpm"] == 71.0 and math.isnan(rows[0]["eda_scl_us"])
    assert rows[0]["quality_eda"] == 0.1
    assert rows[1]["hr_bpm"] == 72.0 and rows[1]["eda_scl_us"] == 4.3
    assert not any(np.isnan(v) for k, v in rows[1].items())


def test_windows_wait_for_the_outlet_in_order_while_another_thread_makes_it(
    unique_name, monkeypatch
):
    made_in: list[str] = []
    liblsl_done = threading.Event()
    make_outlets = outputs.StreamOutlets

    def slow_outlets(*args, **kwargs):  # liblsl, taking its time
        made_in.append(threading.current_thread().name)
        liblsl_done.wait(5.0)
        return make_outlets(*args, **kwargs)

    monkeypatch.setattr(outputs, "StreamOutlets", slow_outlets)
    sink = FeatureOutletSink(name=unique_name, source_id=f"{unique_name}:features")
    sink.on_window(_window(100.0, {"hr_bpm": 70.0}, {}), None)
    sink.on_window(_window(101.0, {"hr_bpm": 71.0}, {}), None)
    assert sink.outlet is not None and not sink.outlet.done()  # neither window waited
    liblsl_done.set()
    sink.outlet.result(timeout=10.0)
    assert made_in and made_in[0].startswith("features-outlet")
    (info,) = pylsl.resolve_byprop("source_id", f"{unique_name}:features", 1, 10.0)
    inlet = pylsl.StreamInlet(info, processing_flags=pylsl.proc_none)
    try:
        inlet.open_stream(10.0)
        sink.on_window(_window(102.0, {"hr_bpm": 72.0}, {}), None)
        got = [inlet.pull_sample(timeout=10.0) for _ in range(3)]
    finally:
        inlet.close_stream()
        sink.close()
    assert [t for _, t in got] == [100.0, 101.0, 102.0]
    assert [sample[0] for sample, _ in got] == [70.0, 71.0, 72.0]
