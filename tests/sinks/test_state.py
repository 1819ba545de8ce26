"""State and model-marker outlets on LSL loopback."""

from __future__ import annotations

import math
import time

import numpy as np
import pylsl

from emostream.features.base import FeatureVector
from emostream.sinks.state import StateOutletSink, state_sample

CLASSES = ("calm", "stress")


def _inlet(source_id: str) -> pylsl.StreamInlet:
    found = pylsl.resolve_byprop("source_id", source_id, 1, 10.0)
    assert found, f"no stream with source_id {source_id}"
    inlet = pylsl.StreamInlet(found[0], max_buflen=60)
    inlet.open_stream(5.0)
    return inlet


def _pull_until(inlet: pylsl.StreamInlet, n: int, timeout_s: float = 10.0):
    samples, stamps = [], []
    deadline = time.monotonic() + timeout_s
    while len(samples) < n and time.monotonic() < deadline:
        data, ts = inlet.pull_chunk(timeout=0.2)
        samples += data
        stamps += ts
    return samples, stamps


def _channel_labels(info: pylsl.StreamInfo) -> list[str]:
    """The channel labels a downstream app reads from the stream's meta-data."""
    labels = []
    channel = info.desc().child("channels").child("channel")
    while not channel.empty():
        labels.append(channel.child_value("label"))
        channel = channel.next_sibling("channel")
    return labels


def test_state_sample_encodes_unknown_values_as_nan():
    row = {
        "t_end": 5.0,
        "state": "unknown",
        "p_calm": 0.5,
        "p_stress": 0.5,
        "confidence": 0.0,
        "model_version": "logistic-new+0",
    }
    sample = state_sample(row, CLASSES)
    assert math.isnan(sample[0]) and math.isnan(sample[3]) and math.isnan(sample[4])
    assert sample[1:3] == [0.5, 0.5] and sample[-1] == 0.0


def test_state_and_markers_reach_an_inlet(unique_name):
    sink = StateOutletSink(name=unique_name, source_id=f"{unique_name}-state", classes=CLASSES)
    try:
        state_in = _inlet(f"{unique_name}-state")
        marker_in = _inlet(f"{unique_name}-state:markers")
        info = state_in.info()
        assert info.type() == "State" and info.channel_count() == 7
        rows = [
            {
                "t_end": 10.0 + i,
                "state": "stress",
                "p_calm": 0.2,
                "p_stress": 0.8,
                "arousal": 1.5,
                "valence": -0.4 if i else math.nan,
                "confidence": 0.8,
                "model_version": f"logistic-new+{i // 2}",
            }
            for i in range(4)
        ]
        # the inlet must be connected before pushing so nothing is lost
        assert sink._outlets is not None and sink._outlets.wait_for_consumers(10.0)
        for row in rows:
            sink.on_window(FeatureVector(row["t_end"] - 60, row["t_end"]), row)
        sink.on_marker(12.0, "label-request:120s:confidence=0.41")
        samples, stamps = _pull_until(state_in, 4)
        assert np.allclose(stamps, [10.0, 11.0, 12.0, 13.0])
        first = samples[0]
        assert first[:3] == [1.0, 0.2, 0.8] and first[3] == 1.5 and math.isnan(first[4])
        # a downstream app finds each value under its documented channel label
        labels = _channel_labels(info)
        assert labels == [
            "state", "p_calm", "p_stress", "arousal", "valence", "confidence", "model_version"
        ]  # fmt: skip
        second = dict(zip(labels, samples[1], strict=True))
        assert (second["arousal"], second["valence"], second["confidence"]) == (1.5, -0.4, 0.8)
        assert [s[-1] for s in samples] == [0.0, 0.0, 1.0, 1.0]
        markers, _ = _pull_until(marker_in, 3)
        assert [m[0] for m in markers] == [
            "model-version:logistic-new+0",
            "model-version:logistic-new+1",
            "label-request:120s:confidence=0.41",
        ]
    finally:
        sink.close()
