"""A held-out subject's evaluation report: its windows and the predicted states against its
true labels."""

from __future__ import annotations

from emostream.datasets.windows import SubjectWindows
from emostream.features.base import FeatureVector
from emostream.report.build import build
from emostream.report.evaluation import subject_data

CLASSES = ("calm", "stress")


def test_a_subjects_report_scores_the_predictions_against_its_labels():
    windows = [
        FeatureVector(10.0 * i, 10.0 * i + 30.0, values={"hr_bpm": 70.0 + (i >= 10) * 20.0})
        for i in range(20)
    ]
    truth = ["calm"] * 10 + ["stress"] * 10
    states = ["calm"] * 15 + ["stress"] * 5  # every calm window right, half the stressed ones
    subject = SubjectWindows("S9", windows, truth)
    data = subject_data(subject, states, CLASSES, {"dataset": "test"})
    assert data.predictions is not None
    assert list(data.predictions["label"]) == truth
    assert list(data.predictions["state"]) == states
    report = build(data)
    assert report.summary["labelled windows"] == 20
    assert report.summary["balanced accuracy"] == 0.75


def test_a_subject_without_predictions_says_why():
    windows = [FeatureVector(0.0, 30.0, values={"hr_bpm": 70.0})]
    data = subject_data(SubjectWindows("S9", windows, ["calm"]), None, CLASSES, {})
    assert data.predictions is None and "fewer than two labelled classes" in data.absent["states"]
