"""What the pages write becomes markers of the label grammar, or a clear refusal."""

import pytest

from emostream.dashboard.answers import AnswerError, operator_marker, report_markers
from emostream.labels import LabelConfig, LabelTracker, Report, parse_marker

CLASSES = ("calm", "stress", "amusement")


def test_a_report_becomes_a_report_marker_with_a_note():
    markers = report_markers(
        {"state": "stress", "arousal": 7, "valence": 3, "note": "deadline\nnow"}, CLASSES, 120.0
    )
    assert markers == ["report:120s:state=stress,arousal=7,valence=3", "note:deadline now"]
    assert parse_marker(markers[0], 5.0) == Report(5.0, 120.0, "stress", 7, 3)
    assert report_markers({"valence": 9, "span_s": 45}, CLASSES, 120.0) == ["report:45s:valence=9"]


def test_not_sure_is_its_own_answer_and_never_a_label():
    (marker,) = report_markers({"state": "unsure", "arousal": 5}, CLASSES, 120.0)
    assert marker == "report:120s:unsure"
    tracker = LabelTracker(LabelConfig(classes=CLASSES, arousal_classes=("calm",) * 9))
    assert tracker.feed([(200.0, marker)]) == []
    assert tracker.counts.unsure == 1 and tracker.counts.unmapped == 0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "choose a state"),
        ({"state": "angry"}, "not one of"),
        ({"arousal": 10}, "1..9"),
        ({"valence": True}, "1..9"),
        ({"state": "calm", "span_s": 0}, "span_s"),
        ({"state": "calm", "note": 5}, "note: must be text"),
        ({"state": "calm", "note": "x" * 201}, "at most"),
    ],
)
def test_bad_reports_are_refused_with_the_key(body, message):
    with pytest.raises(AnswerError, match=message):
        report_markers(body, CLASSES, 120.0)


def test_operator_markers_follow_the_grammar():
    assert operator_marker({"marker": " phase:stress:start "}) == "phase:stress:start"
    assert operator_marker({"marker": "task 2 begins"}) == "task 2 begins"
    with pytest.raises(AnswerError, match="start' or 'end"):
        operator_marker({"marker": "phase:stress:begin"})
    with pytest.raises(AnswerError, match="empty"):
        operator_marker({"marker": "  "})
