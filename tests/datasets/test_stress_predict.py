"""Stress-Predict loader and the evaluation on real recordings (two subjects, CI-sized)."""

from __future__ import annotations

import json

import pytest

from emostream.cli import main
from emostream.datasets import stress_predict
from emostream.errors import UsageError
from emostream.labels import LabelConfig, LabelTracker


@pytest.fixture(scope="module")
def root(shared_data):
    return shared_data / "stress_predict"


def test_phase_markers_on_the_recording_clock(root):
    item = stress_predict.load_subject(root, "S01")
    offset = item.recording.unix_offset_s
    assert offset is not None and abs(offset - 1644226061.0) < 1.0
    assert (1644226140 - offset, "phase:stroop:start") in item.markers
    assert (1644226740 - offset, "phase:baseline-questionnaire:start") in item.markers
    spans = LabelTracker(LabelConfig(**stress_predict.LABELS)).feed(item.markers)
    by_label = {}
    for span in spans:
        by_label.setdefault(span.label, []).append(span.t_to_s - span.t_from_s)
    # Stroop 300 s + Interview 600 s + Hyperventilation 120 s; Consent and Questionnaire excluded
    assert sum(by_label["stress"]) == pytest.approx(1020.0)
    assert sum(by_label["calm"]) == pytest.approx(300 + 240 + 300 + 300 + 600)


def test_dataset_lists_the_twenty_subjects(root):
    dataset = stress_predict.open_dataset(root)
    assert dataset.subjects == tuple(f"S{i:02d}" for i in range(1, 21))


def test_missing_phase_table_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="phase table not found"):
        stress_predict.open_dataset(tmp_path)


def test_evaluate_two_subjects(root, capsys):
    code = main(
        [
            "evaluate",
            str(root),
            "--format",
            "stress-predict",
            "--subjects",
            "S02,S03",
            "--json",
            "--seeds",
            "1",
            "--no-shuffled",
        ]
    )
    assert code == 0
    out = capsys.readouterr()
    scores = json.loads(out.out)
    assert "shuffled" not in scores
    # the protocol's own pipeline, chosen by nested selection on its subjects
    assert scores["pipeline"]["name"] == "e4-wrist-stress-predict"
    natural = scores["natural"]
    for protocol in ("generic", "personalised", "time-only", "logistic", "boosting"):
        summary = natural[protocol]
        assert set(summary["per_subject"]) == {"S02", "S03"}
        assert 0.0 <= summary["balanced_accuracy_min"] <= summary["balanced_accuracy_mean"] <= 1.0
    assert "[2/2] S03" in out.err
    # accuracy within each of the protocol's labelled phases, in the protocol's order
    phases = scores["phases"]["natural"]["generic"]
    assert list(phases) == [
        "baseline-questionnaire",
        "stroop",
        "relax1",
        "interview",
        "relax2",
        "hyperventilation",
        "relax3",
        "relax-baseline",
    ]
    assert phases["stroop"]["class"] == "stress" and phases["relax1"]["class"] == "calm"
    for summary in phases.values():
        assert set(summary["per_subject"]) == {"S02", "S03"}
        assert 0.0 <= summary["accuracy_min"] <= summary["accuracy_mean"] <= 1.0
