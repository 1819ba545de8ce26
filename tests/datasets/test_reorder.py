"""The shuffled protocol's re-assembly: every labelled segment once, baseline first, continuous."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from emostream.core.spec import StreamSpec
from emostream.datasets.base import LabelledRecording, segment_markers
from emostream.datasets.reorder import labelled_segments, reassemble
from emostream.formats.base import RecordedStream, Recording
from emostream.labels import LabelConfig

LABELS = LabelConfig(classes=("baseline", "stress", "amusement"), map={"meditation": ""})
#: (t_from_s, t_to_s, phase) with unlabelled gaps and an unmapped phase between them
SEGMENTS = [
    (100.0, 400.0, "baseline"),
    (450.0, 650.0, "stress"),
    (700.0, 800.0, "meditation"),
    (820.0, 940.0, "amusement"),
]


def _item(rate_hz: float = 4.0) -> LabelledRecording:
    ts = 50.0 + np.arange(int(950 * rate_hz)) / rate_hz
    # the data hold the original timestamp, so every moved sample can be traced back
    spec = StreamSpec("EDA", "eda", ("EDA",), ("microsiemens",), rate_hz, "test:eda")
    recording = Recording({"eda": RecordedStream(spec, ts, ts[:, None].copy())}, 1.7e9)
    return LabelledRecording("S1", recording, segment_markers(SEGMENTS))


def test_segments_that_carry_a_class_or_are_the_baseline():
    names = [s[2] for s in labelled_segments(_item().markers, LABELS, "baseline")]
    assert names == ["baseline", "stress", "amusement"]  # meditation maps to no class


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_reassembled_session_is_continuous_with_the_baseline_first(seed):
    item = _item()
    out = reassemble(item, LABELS, "baseline", seed)
    stream = out.recording.streams["eda"]
    placed = labelled_segments(out.markers, LABELS, "baseline")
    assert placed[0][2] == "baseline" and placed[0][0] == item.recording.t_start_s
    for (_, end, _), (start, _, _) in itertools.pairwise(placed):
        assert start == end  # no gap between segments
    original = {name: (a, b) for a, b, name in SEGMENTS}
    for a, b, name in placed:
        inside = (stream.timestamps >= a) & (stream.timestamps < b)
        src = stream.data[inside, 0]
        # every sample of the original segment, in order, and only those
        assert src[0] == original[name][0] and src[-1] == pytest.approx(original[name][1] - 0.25)
        assert np.all(np.diff(src) > 0)
        assert np.allclose(stream.timestamps[inside] - a, src - original[name][0])
    assert np.all(np.diff(stream.timestamps) > 0)
    assert out.recording.unix_offset_s is None


def test_seeds_give_different_orders_of_the_non_baseline_segments():
    orders = {
        tuple(
            s[2]
            for s in labelled_segments(
                reassemble(_item(), LABELS, "baseline", seed).markers, LABELS, "baseline"
            )
        )
        for seed in range(8)
    }
    assert orders == {("baseline", "stress", "amusement"), ("baseline", "amusement", "stress")}
