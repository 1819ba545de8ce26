"""Honest outputs: calibrated confidence, arousal validity, onset latency, drift alarm rates."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from sklearn.metrics import brier_score_loss

from emostream.datasets.base import SamReport
from emostream.datasets.windows import SubjectWindows
from emostream.evaluation import stats
from emostream.evaluation.outputs import (
    arousal_auroc,
    drift_alarms,
    report_correlation,
    stress_latencies_s,
    summarise_outputs,
)
from emostream.evaluation.protocols import encode_labelled, train_general
from emostream.evaluation.streaming import StreamedSession, stream_session
from emostream.features.base import FeatureVector
from emostream.models.calibration import TopLabelCalibration
from emostream.models.online import OnlineStateModel

from .conftest import model_config
from .test_protocols import SUBJECTS


def _subject(truth: list[str | None], hop_s: float = 10.0) -> SubjectWindows:
    windows = [FeatureVector(i * hop_s, i * hop_s + 60.0, {}) for i in range(len(truth))]
    return SubjectWindows("X", windows, truth)


def test_the_model_reports_and_requests_on_the_calibrated_probability(tmp_path):
    config = model_config()
    general = train_general(config, "test", [encode_labelled(config, s, 5) for s in SUBJECTS[1:]])
    never = lambda request, fv: []  # noqa: E731
    plain = stream_session(general.copy(), SUBJECTS[0], protocol="generic", answer=never)
    soft = general.copy()
    soft.calibration = TopLabelCalibration(slope=0.5, intercept=-1.0)  # lowers every p > 1/3
    path = tmp_path / "model.emo"
    soft.save(path)
    loaded = OnlineStateModel.load(path, config, config_hash="test")
    assert loaded.calibration == soft.calibration
    calibrated = stream_session(loaded, SUBJECTS[0], protocol="generic", answer=never)
    assert calibrated.states == plain.states
    pairs = list(zip(calibrated.confidence, plain.confidence, strict=True))
    assert all(t <= p + 1e-12 for t, p in pairs)
    assert sum(t < p - 0.05 for t, p in pairs) > len(pairs) // 2
    # the softened confidence falls below the request threshold more often
    assert calibrated.n_requests > plain.n_requests


def test_arousal_auroc_ranks_stress_against_rest_only():
    truth = ["baseline", "baseline", "stress", "stress", "amusement", None]
    arousal = [0.1, 0.3, 0.2, 0.9, 5.0, 9.0]
    assert arousal_auroc(arousal, truth, "baseline") == pytest.approx(0.75)
    assert arousal_auroc([0.1] * 6, ["baseline"] * 6, "baseline") is None


def test_report_correlation_follows_the_conditions_means():
    subject = _subject(["baseline"] * 30)
    subject.reports = [
        SamReport("a", 0.0, 100.0, valence=5, arousal=2),
        SamReport("b", 100.0, 200.0, valence=5, arousal=6),
        SamReport("c", 200.0, 400.0, valence=5, arousal=4),
    ]
    t_end = [fv.t_end for fv in subject.windows]
    level = {0: 0.0, 1: 2.0, 2: 1.0}
    rising = [level[min(int((t - 1e-9) // 100), 2)] for t in t_end]
    assert report_correlation(subject, rising, "arousal") == pytest.approx(1.0)
    assert report_correlation(subject, [-x for x in rising], "arousal") == pytest.approx(-1.0)
    assert report_correlation(subject, rising, "valence") is None  # constant ratings


def test_latency_counts_from_each_stress_onset_and_misses():
    truth = ["baseline"] * 3 + ["stress"] * 4 + ["baseline"] * 2 + ["stress"] * 3
    states = ["baseline"] * 5 + ["stress"] * 2 + ["stress"] * 2 + ["baseline"] * 3
    latencies, missed = stress_latencies_s(_subject(truth), states)
    assert latencies == [20.0]
    assert missed == 1
    # a stress prediction only after its segment ended does not detect that onset
    truth = ["baseline"] * 2 + ["stress"] * 2 + ["baseline"] * 2 + ["stress"] * 2
    states = ["baseline"] * 4 + ["stress"] + ["baseline"] * 2 + ["stress"]
    assert stress_latencies_s(_subject(truth), states) == ([10.0], 1)


def test_drift_alarms_are_counted_at_rest_per_hour():
    subject = _subject(["baseline"] * 360 + ["stress"] * 360)
    streamed = dataclasses.replace(StreamedSession(), drift_windows=[10, 400, 500])
    rates = drift_alarms(subject, streamed, "baseline")
    assert rates == {"alarms_at_rest": 1, "rest_hours": 1.0, "alarms": 3, "hours": 2.0}


def _outputs_of(probas: list[dict[str, float]], labels: list[str]) -> dict:
    """A held-out session's outputs as `session_outputs` returns them, with no arousal,
    valence, latency or drift to speak of."""
    return {
        "probas": probas,
        "labels": labels,
        "arousal_auroc": None,
        "arousal_spearman": None,
        "valence_spearman": None,
        "latencies_s": [],
        "n_missed_onsets": 0,
        "alarms_at_rest": 0,
        "rest_hours": 0.0,
        "alarms": 0,
        "hours": 0.0,
    }


def test_calibration_summary_scores_each_fold_with_its_own_pair():
    """ECE and Brier score pooled over windows and per subject, before and after each
    subject's own calibration; the Brier score is scikit-learn's of the top class's
    correctness. B's pair takes its weakest windows' confidence to the floor (0.5), where the
    runner-up ties with the state: the state is what is scored, not the class listed first."""
    rng = np.random.default_rng(3)
    per_subject, calibrations, raw, right = {}, {}, [], []
    for k, (name, pair) in enumerate({"A": (0.4, 0.5), "B": (2.0, -0.3)}.items()):
        stress = rng.uniform(0.05, 0.95, 300)
        probas = [{"calm": 1.0 - q, "stress": q} for q in stress]
        # subject A is right far less often than its confidence says, subject B more often
        hit = rng.random(300) < (0.55 if k == 0 else 0.97)
        labels = [
            max(p, key=p.__getitem__) if h else min(p, key=p.__getitem__)
            for p, h in zip(probas, hit, strict=True)
        ]
        per_subject[name] = _outputs_of(probas, labels)
        calibrations[name] = TopLabelCalibration(*pair)
        raw.append(probas)
        right.append(hit)
    summary = summarise_outputs(per_subject, calibrations)["calibration"]
    for when in ("before", "after"):
        conf, hits = [], []
        per_ece, per_brier = [], []
        for name, probas, hit in zip("AB", raw, right, strict=True):
            mapped = probas if when == "before" else [calibrations[name].apply(p) for p in probas]
            c = [max(p.values()) for p in mapped]
            per_ece.append(stats.expected_calibration_error(c, hit)[0])
            per_brier.append(brier_score_loss(hit, c))
            conf += c
            hits += list(hit)
        got = summary[when]
        assert got["ece_pooled"] == pytest.approx(stats.expected_calibration_error(conf, hits)[0])
        assert got["brier_pooled"] == pytest.approx(brier_score_loss(hits, conf))
        assert got["ece_per_subject"]["mean"] == pytest.approx(np.mean(per_ece))
        assert got["brier_per_subject"]["mean"] == pytest.approx(np.mean(per_brier))
        assert got["brier_per_subject"]["n_subjects"] == 2
    assert summary["after"]["brier_pooled"] != pytest.approx(summary["before"]["brier_pooled"])
    assert summary["top_label"]["B"] == {"slope": 2.0, "intercept": -0.3}


def test_latency_and_drift_summaries_pool_the_subjects():
    """The median (and mean) latency over every detected onset of every subject; false alarms
    per hour of rest windows, alarms per hour of all windows."""
    probas = [{"calm": 0.3, "stress": 0.7}] * 4
    labels = ["stress", "calm", "stress", "stress"]
    per_subject = {
        "A": _outputs_of(probas, labels)
        | {"latencies_s": [0.0, 30.0, 200.0], "n_missed_onsets": 1}
        | {"alarms_at_rest": 2, "rest_hours": 1.5, "alarms": 5, "hours": 3.0},
        "B": _outputs_of(probas, labels)
        | {"latencies_s": [10.0], "n_missed_onsets": 0}
        | {"alarms_at_rest": 1, "rest_hours": 0.5, "alarms": 3, "hours": 1.0},
    }
    calibrations = {name: TopLabelCalibration() for name in per_subject}
    summary = summarise_outputs(per_subject, calibrations)
    latency = summary["stress_latency_s"]
    assert latency == {"median": 20.0, "mean": 60.0, "n_onsets": 5, "n_missed": 1}
    drift = summary["drift"]
    assert drift["alarms_at_rest"] == 3 and drift["rest_hours"] == 2.0
    assert drift["false_alarms_per_rest_hour"] == pytest.approx(1.5)
    assert drift["alarms_per_hour"] == pytest.approx(2.0)
