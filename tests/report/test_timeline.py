"""Markers on a report's timeline: phases, label requests and their answers, drift."""

from emostream.report.timeline import Segment, requests, segments, with_prefix

MARKERS = [
    (0.0, "phase:baseline:start"),
    (100.0, "phase:baseline:end"),
    (100.0, "phase:stress:start"),
    (150.0, "label-request:60s:confidence=0.41"),
    (175.0, "report:60s:arousal=12"),  # malformed: not an answer
    (180.0, "drift:adwin:error=0.40"),
    (200.0, "label-request:60s:confidence=0.30"),
    (210.0, "report:60s:state=stress"),
    (220.0, "report:60s:state=calm"),
    (230.0, "condition:tsst:start"),
]


def test_segments_pair_starts_with_ends_and_close_at_the_end():
    assert segments(MARKERS, 300.0) == [
        Segment(0.0, 100.0, "phase", "baseline"),
        Segment(100.0, 300.0, "phase", "stress"),
        Segment(230.0, 300.0, "condition", "tsst"),
    ]


def test_each_request_gets_the_first_wellformed_report_before_the_next_request():
    first, second = requests(MARKERS)
    assert (first.t_s, first.answer_t_s, first.answer) == (150.0, None, None)
    assert (second.t_s, second.answer_t_s, second.answer) == (
        200.0,
        210.0,
        "report:60s:state=stress",
    )
    assert with_prefix(MARKERS, "drift") == [(180.0, "drift:adwin:error=0.40")]
