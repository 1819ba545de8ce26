"""Marker grammar, class mapping and the label tracker."""

from __future__ import annotations

import pytest

from emostream.errors import ConfigError
from emostream.labels import (
    LabelConfig,
    LabelSpan,
    LabelTracker,
    MarkerError,
    Report,
    SegmentEdge,
    parse_marker,
    span_covers,
)
from emostream.models.config import ModelConfig


def test_segment_and_report_markers_parse():
    assert parse_marker("phase:Stress:start", 5.0) == SegmentEdge(5.0, "phase", "stress", "start")
    assert parse_marker(" condition:tsst:end ", 6.0) == SegmentEdge(6.0, "condition", "tsst", "end")
    assert parse_marker("report:120s:arousal=7,valence=3", 9.0) == Report(9.0, 120.0, None, 7, 3)
    assert parse_marker("report:30s:state=calm", 1.0) == Report(1.0, 30.0, "calm")


def test_keywords_are_case_insensitive():
    assert parse_marker("PHASE:Stress:START", 5.0) == SegmentEdge(5.0, "phase", "stress", "start")
    assert parse_marker("Condition:TSST:End", 6.0) == SegmentEdge(6.0, "condition", "tsst", "end")
    assert parse_marker("Report:60S:State=Calm", 1.0) == Report(1.0, 60.0, "calm")


@pytest.mark.parametrize(
    "text", ["label-request:120s:confidence=0.41", "drift:adwin:error=0.3", "button", ""]
)
def test_non_label_markers_are_not_labels(text):
    assert parse_marker(text, 0.0) is None


@pytest.mark.parametrize(
    "text",
    [
        "phase:stress",
        "phase:stress:begin",
        "phase:str ess:start",
        "report:abc:arousal=5",
        "report:0s:arousal=5",
        "report:60s:arousal=10",
        "report:60s:valence=x",
        "report:60s:mood=5",
        "report:60s",
    ],
)
def test_malformed_markers_raise(text):
    with pytest.raises(MarkerError):
        parse_marker(text, 0.0)


def test_tracker_reports_and_ignores_malformed_markers(caplog):
    tracker = LabelTracker(LabelConfig())
    spans = tracker.feed(
        [(1.0, "phase:calm:start"), (2.0, "phase:calm:sta"), (3.0, "phase:calm:end")]
    )
    assert spans == [LabelSpan(1.0, 3.0, "calm", "phase")]
    assert tracker.counts.malformed == 1
    assert "malformed marker" in caplog.text


def test_tracker_deduplicates_overlapping_window_marker_lists():
    tracker = LabelTracker(LabelConfig())
    window_a = [(1.0, "phase:stress:start")]
    window_b = [(1.0, "phase:stress:start"), (8.0, "phase:stress:end")]
    assert tracker.feed(window_a) == []
    assert tracker.feed(window_b) == [LabelSpan(1.0, 8.0, "stress", "phase")]
    assert tracker.feed(window_b) == []


def test_an_end_and_the_next_start_at_one_instant_both_count():
    """De-duplication is by time and text: two markers at one instant are two markers."""
    tracker = LabelTracker(LabelConfig())
    markers = [
        (1.0, "phase:calm:start"),
        (5.0, "phase:calm:end"),
        (5.0, "phase:stress:start"),
        (9.0, "phase:stress:end"),
    ]
    assert tracker.feed(markers) == [
        LabelSpan(1.0, 5.0, "calm", "phase"),
        LabelSpan(5.0, 9.0, "stress", "phase"),
    ]
    assert tracker.counts.unmatched_end == 0


def test_new_start_ends_the_open_segment_and_mapping_applies():
    config = LabelConfig(map={"relax": "calm", "tsst": "stress", "consent": ""})
    tracker = LabelTracker(config)
    spans = tracker.feed(
        [
            (0.0, "phase:consent:start"),
            (5.0, "phase:relax:start"),
            (9.0, "phase:tsst:start"),
            (12.0, "phase:tsst:end"),
        ]
    )
    assert spans == [LabelSpan(5.0, 9.0, "calm", "phase"), LabelSpan(9.0, 12.0, "stress", "phase")]
    assert tracker.counts.unmapped == 1


def test_reports_label_the_preceding_seconds():
    config = LabelConfig(arousal_classes=("calm",) * 5 + ("stress",) * 4)
    tracker = LabelTracker(config)
    assert tracker.feed([(100.0, "report:60s:arousal=8,valence=2")]) == [
        LabelSpan(40.0, 100.0, "stress", "report")
    ]
    assert tracker.feed([(200.0, "report:60s:arousal=3")]) == [
        LabelSpan(140.0, 200.0, "calm", "report")
    ]
    assert tracker.feed([(300.0, "report:30s:state=stress")]) == [
        LabelSpan(270.0, 300.0, "stress", "report")
    ]


@pytest.mark.parametrize(
    ("arousal", "label"), [(1, "calm"), (5, "calm"), (6, "stress"), (9, "stress")]
)
def test_sam_arousal_n_takes_the_nth_of_the_arousal_classes(arousal: int, label: str):
    config = LabelConfig(arousal_classes=("calm",) * 5 + ("stress",) * 4)
    spans = LabelTracker(config).feed([(100.0, f"report:60s:arousal={arousal}")])
    assert spans == [LabelSpan(40.0, 100.0, label, "report")]


def test_unmatched_end_is_counted():
    tracker = LabelTracker(LabelConfig())
    assert tracker.feed([(1.0, "phase:calm:end")]) == []
    assert tracker.counts.unmatched_end == 1


def test_an_end_naming_another_phase_is_counted_and_the_open_phase_goes_on():
    tracker = LabelTracker(LabelConfig())
    assert tracker.feed([(1.0, "phase:stress:start"), (4.0, "phase:calm:end")]) == []
    assert tracker.counts.unmatched_end == 1
    assert tracker.feed([(9.0, "phase:stress:end")]) == [LabelSpan(1.0, 9.0, "stress", "phase")]


def test_span_coverage():
    span = LabelSpan(10.0, 70.0, "stress", "phase")
    assert span_covers(span, 10.0, 70.0, 1.0)
    assert not span_covers(span, 9.0, 69.0, 1.0)
    assert span_covers(span, 0.0, 60.0, 0.8)


def test_label_config_from_pipeline_tables():
    config = ModelConfig.from_tables(
        {"learner": "softmax", "active": {"budget": 3}},
        {"classes": ["rest", "stress"], "map": {"Relax1": "rest"}},
        file="p.toml",
    )
    assert config.learner == "softmax" and config.active.budget == 3
    assert config.labels.class_of("RELAX1") == "rest"


def test_a_confidence_threshold_above_one_is_accepted():
    """It is how a pipeline asks for a label on every window (within the budget)."""
    config = ModelConfig.from_tables({"active": {"confidence_below": 1.01}}, None, file="p.toml")
    assert config.active.confidence_below == 1.01


@pytest.mark.parametrize(
    ("model", "labels", "key"),
    [
        ({"learnr": "logistic"}, {}, "model.learnr"),
        ({"learner": "lgoistic"}, {}, "model.learner"),
        ({"population_c": 0.0}, {}, "model.population_c"),
        ({}, {"classes": ["a", "b"], "map": {"x": "c"}}, "labels.map"),
        ({}, {"arousal_classes": ["calm"]}, "labels.arousal_classes"),
        ({"labels": {}}, {}, "model.labels"),
    ],
)
def test_bad_tables_name_file_and_key(model, labels, key):
    with pytest.raises(ConfigError) as err:
        ModelConfig.from_tables(model, labels, file="p.toml")
    assert err.value.file == "p.toml" and err.value.key == key
