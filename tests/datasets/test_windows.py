"""Label markers of a dataset recording given to its feature windows, as the live windower
gives them: each marker in exactly one window, none lost."""

from __future__ import annotations

from emostream.datasets.base import segment_markers
from emostream.datasets.windows import attach_markers
from emostream.features.base import FeatureVector


def test_every_marker_reaches_exactly_one_window():
    windows = [FeatureVector(t - 60.0, t) for t in (60.0, 90.0, 120.0)]
    # before the first window's end, at a window's end, between ends, after the last window
    markers = segment_markers([(10.0, 90.0, "baseline"), (100.0, 150.0, "stress")])
    attach_markers(windows, markers)
    assert [fv.markers for fv in windows] == [
        [(10.0, "phase:baseline:start")],
        [(90.0, "phase:baseline:end")],
        [(100.0, "phase:stress:start"), (150.0, "phase:stress:end")],
    ]


def test_markers_are_given_afresh_on_each_call():
    windows = [FeatureVector(0.0, 60.0), FeatureVector(30.0, 90.0)]
    attach_markers(windows, [(70.0, "phase:x:start")])
    attach_markers(windows, [(20.0, "phase:y:start")])
    assert [fv.markers for fv in windows] == [[(20.0, "phase:y:start")], []]
