"""Accuracy within each protocol phase: which windows count, and how they are summarised."""

from __future__ import annotations

import pytest

from emostream.commands.evaluate import print_table
from emostream.datasets.base import segment_markers
from emostream.datasets.windows import SubjectWindows, attach_markers
from emostream.evaluation.phases import phase_accuracy, phase_table, summarise_phases, window_phases
from emostream.evaluation.protocols import evaluate
from emostream.features.base import FeatureVector
from emostream.labels import LabelConfig

from .conftest import LABELS, model_config, synthetic_subject

SP_LABELS = LabelConfig(
    classes=("calm", "stress"),
    map={"stroop": "stress", "relax": "calm", "consent": "", "rest": "calm"},
)


def _session(segments, t_end_s, length_s=60.0, hop_s=30.0) -> SubjectWindows:
    windows = [
        FeatureVector(t - length_s, t, {})
        for t in range(int(length_s), int(t_end_s) + 1, int(hop_s))
    ]
    attach_markers(windows, segment_markers(segments))
    return SubjectWindows("S", windows, [None] * len(windows))


def test_a_window_belongs_to_the_phase_it_lies_entirely_inside():
    # consent (unlabelled), the declared baseline "rest", then stroop and relax back to back
    session = _session(
        [(0, 120, "consent"), (120, 300, "rest"), (300, 420, "stroop"), (420, 600, "relax")], 600
    )
    got = {
        (fv.t_start, fv.t_end): p
        for fv, p in zip(session.windows, window_phases(session, SP_LABELS, "rest"), strict=True)
    }
    assert got[(0, 60)] is None  # consent carries no class and is not the baseline
    assert got[(90, 150)] is None  # across the consent/rest edge
    assert got[(120, 180)] == got[(240, 300)] == "rest"
    assert got[(270, 330)] is None  # across rest/stroop
    assert got[(300, 360)] == got[(360, 420)] == "stroop"
    assert got[(390, 450)] is None
    assert got[(420, 480)] == got[(540, 600)] == "relax"


def test_the_declared_baseline_counts_even_when_it_names_no_class():
    session = _session([(0, 240, "quiet"), (240, 480, "stroop")], 480)
    phases = window_phases(session, SP_LABELS, "quiet")
    assert phases.count("quiet") == 7 and phases.count("stroop") == 7
    assert window_phases(session, SP_LABELS, "rest").count("quiet") == 0


def test_phase_accuracy_is_the_recall_of_its_class_over_labelled_windows():
    truth = ["calm", "calm", "calm", None, "stress", "stress", "calm"]
    predicted = ["calm", "stress", "calm", "stress", "stress", "calm", "stress"]
    phases = ["rest", "rest", "rest", "rest", "stroop", "stroop", None]
    assert phase_accuracy(truth, predicted, phases) == {
        "rest": {"class": "calm", "accuracy": pytest.approx(2 / 3), "n_windows": 3},
        "stroop": {"class": "stress", "accuracy": 0.5, "n_windows": 2},
    }


def test_subjects_weigh_equally_and_runs_of_one_subject_are_averaged_first():
    def rest(accuracy, n):
        return {"rest": {"class": "calm", "accuracy": accuracy, "n_windows": n}}

    per_subject = {
        "A": [rest(1.0, 10), rest(0.5, 10)],
        "B": [rest(0.25, 30), rest(0.25, 30)],
        "C": [{"stroop": {"class": "stress", "accuracy": 0.0, "n_windows": 4}}],
    }
    out = summarise_phases(per_subject)
    assert list(out) == ["rest", "stroop"]
    # the order is each phase's mean position in the sessions, not the first subject's order
    late = {"relax": {"class": "calm", "accuracy": 1.0, "n_windows": 1}}
    first = {"stroop": {"class": "stress", "accuracy": 1.0, "n_windows": 1}}
    sessions = {"X": [{**late, **first}], "Y": [{**first, **late}], "Z": [{**first, **late}]}
    assert list(summarise_phases(sessions)) == ["stroop", "relax"]
    rest = out["rest"]
    assert rest["accuracy_mean"] == pytest.approx((0.75 + 0.25) / 2)
    assert (rest["accuracy_min"], rest["worst_subject"]) == (0.25, "B")
    assert (rest["n_subjects"], rest["n_windows"], rest["class"]) == (2, 40, "calm")
    assert rest["per_subject"] == {"A": 0.75, "B": 0.25}
    low, high = rest["accuracy_ci95"]
    assert 0.25 <= low <= rest["accuracy_mean"] <= high <= 0.75
    assert out["stroop"]["n_subjects"] == 1


def test_evaluate_reports_each_phase_from_the_predictions_it_scored():
    subjects = [
        synthetic_subject(f"S{i}", order)
        for i, order in enumerate([("stress", "amusement"), ("amusement", "stress")] * 2)
    ]
    config = model_config()
    result = evaluate(subjects, config, config_hash="test", seeds=[0], keep_predictions=True)
    for protocol in ("generic", "time-only"):
        states = result["predictions"]["natural"][protocol]
        summary = result["phases"]["natural"][protocol]
        assert set(summary) == set(LABELS.classes)  # the synthetic phases are named as classes
        for phase, s in summary.items():
            expected = []
            for subject in subjects:
                names = window_phases(subject, config.labels, config.baseline_phase)
                hits = [
                    p == t
                    for p, t, name in zip(
                        states[subject.subject], subject.truth, names, strict=True
                    )
                    if name == phase and t is not None
                ]
                expected.append(sum(hits) / len(hits))
            assert s["accuracy_mean"] == pytest.approx(sum(expected) / len(expected))
            assert s["class"] == phase and s["n_subjects"] == len(subjects)


def _phase(label, accuracy):
    return {"class": label, "accuracy_mean": accuracy, "n_windows": 10, "n_subjects": 2}


BY_PROTOCOL = {
    "generic": {"rest": _phase("calm", 0.75), "stroop": _phase("stress", 0.5)},
    "time-only": {"stroop": _phase("stress", 1.0), "relax": _phase("calm", 0.25)},
    "boosting": {},
}


def test_the_phase_table_has_a_row_per_phase_and_a_column_per_protocol():
    names, rows = phase_table(BY_PROTOCOL)
    assert names == ["generic", "time-only"]  # a protocol without phases has no column
    assert rows == [
        ["rest", "calm", 10, 2, 0.75, None],
        ["stroop", "stress", 10, 2, 0.5, 1.0],
        ["relax", "calm", 10, 2, None, 0.25],
    ]


def test_evaluate_prints_the_phase_table_after_each_order(capsys):
    print_table({"seeds": [0], "natural": {"comparisons": {}}, "phases": {"natural": BY_PROTOCOL}})
    lines = capsys.readouterr().out.splitlines()
    at = lines.index("  accuracy within each phase (mean over subjects)")
    assert lines[at + 1].split() == ["phase", "class", "generic", "time-only"]
    assert lines[at + 2].split() == ["rest", "calm", "0.750"]
    assert lines[at + 3].split() == ["stroop", "stress", "0.500", "1.000"]
    assert lines[at + 4].split() == ["relax", "calm", "0.250"]
    assert lines[at + 4].index("0.250") > lines[at + 2].index("0.750")  # in its own column
