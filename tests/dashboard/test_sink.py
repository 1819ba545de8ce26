"""The dashboard sink, fed directly: deltas carry each point once, flags name the stream."""

import numpy as np

from emostream.core.chunk import Chunk
from emostream.core.spec import StreamSpec
from emostream.dashboard.inbox import MarkerInbox
from emostream.dashboard.sink import Cursor, DashboardSink
from emostream.features.base import FeatureVector

ECG = StreamSpec("ECG", "e", ("ECG",), ("mV",), 250.0, "e")


def _sink() -> DashboardSink:
    return DashboardSink(0, classes=("calm", "stress"), inbox=MarkerInbox("m", "m"))


def test_deltas_carry_each_point_once_and_a_snapshot_stops_at_the_cursor():
    sink, cursor = _sink(), Cursor()
    t = np.arange(0, 4.0, 1 / 250)
    for lo in range(0, len(t), 25):
        sink.on_chunk(Chunk(ECG, t[lo : lo + 25], np.ones((len(t[lo : lo + 25]), 1), np.float32)))
        if lo == 500:
            first = sink.delta(cursor)["traces"]["raw:ECG"][0]
            held = sink.cursor()
    second = sink.delta(cursor)["traces"]["raw:ECG"][0]
    everything = sink.delta(Cursor())["traces"]["raw:ECG"][0]
    assert first + second == everything and first[-1] < second[0]
    assert 40 <= len(everything) <= 80  # 10 slots/s over 4 s, at most 2 points each
    snapshot = sink.delta(Cursor(), until=held)["traces"]["raw:ECG"][0]
    assert snapshot == first
    assert sink.delta(cursor)["traces"] == {}


def test_flags_name_missing_poor_and_low_coverage_streams():
    sink = _sink()
    fv = FeatureVector(
        0.0,
        60.0,
        {"hr_bpm": 70.0},
        quality={"ecg": 0.3, "eda": 0.9},
        coverage={"ecg": 1.0, "eda": 0.0, "rsp": 0.4},
    )
    sink.on_window(fv, {"state": "calm", "p_calm": 0.8, "p_stress": 0.2, "confidence": 0.8})
    latest = sink.delta(Cursor())["latest"]
    assert sorted(latest["flags"]) == ["ecg quality 0.30", "eda missing", "rsp coverage 40%"]
    assert latest["state"] == {"state": "calm", "confidence": 0.8}
    assert latest["features"] == {"hr_bpm": 70.0}
