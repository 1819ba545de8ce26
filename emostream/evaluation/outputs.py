"""Are the outputs honest? Calibration of `confidence`, validity of `arousal` and `valence`,
drift alarms at rest, and the delay from a stress onset to the first stress prediction.

Measured on held-out subjects: `generic` streams for calibration, arousal, valence and
latency; `personalised` streams (the only protocol that scores every labelled window, and so
the only one that feeds the drift detector) for drift alarms.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy.stats import spearmanr
from sklearn.metrics import roc_auc_score

from emostream.datasets.window_table import window_times
from emostream.datasets.windows import SubjectWindows
from emostream.evaluation import stats
from emostream.evaluation.streaming import StreamedSession, stream_session
from emostream.models.calibration import TopLabelCalibration
from emostream.models.online import OnlineStateModel

STRESS = "stress"


def labelled_probas(
    streamed: StreamedSession, truth: Sequence[str | None]
) -> tuple[list[dict[str, float]], list[str]]:
    """The class probabilities and true classes of the labelled windows of one stream."""
    pairs = [(p, y) for p, y in zip(streamed.proba, truth, strict=True) if y is not None]
    return [p for p, _ in pairs], [y for _, y in pairs]


def top_label(
    probas: Sequence[Mapping[str, float]],
    labels: Sequence[str],
    calibration: TopLabelCalibration | None = None,
) -> tuple[list[float], list[bool]]:
    """Each window's state's probability through `calibration` (none by default), and whether
    the state is the true class: the state and confidence the model reports."""
    calibration = calibration or TopLabelCalibration()
    pairs = [calibration.apply_with_state(p) for p in probas]
    return (
        [calibrated[state] for state, calibrated in pairs],
        [state == y for (state, _), y in zip(pairs, labels, strict=True)],
    )


def arousal_auroc(
    arousal: Sequence[float | None], truth: Sequence[str | None], rest: str
) -> float | None:
    """AUROC of the arousal index for stress windows against windows of the `rest` class."""
    kept = [
        (a, y == STRESS)
        for a, y in zip(arousal, truth, strict=True)
        if a is not None and y in (STRESS, rest)
    ]
    if len({positive for _, positive in kept}) < 2:
        return None
    return float(roc_auc_score([p for _, p in kept], [a for a, _ in kept]))


def report_correlation(
    subject: SubjectWindows, output: Sequence[float | None], rating: str
) -> float | None:
    """Spearman correlation, across the subject's rated conditions, between the SAM
    `rating` (arousal or valence) and the mean output over the condition's windows."""
    t_end = window_times(subject.windows)[:, 1]
    means, ratings = [], []
    for report in subject.reports:
        inside = [
            value
            for i in np.flatnonzero((t_end > report.t_from_s) & (t_end <= report.t_to_s)).tolist()
            if (value := output[i]) is not None
        ]
        if inside:
            means.append(float(np.mean(inside)))
            ratings.append(getattr(report, rating))
    if len(means) < 3 or len(set(ratings)) < 2 or len(set(means)) < 2:
        return None
    return float(spearmanr(ratings, means).statistic)


def stress_latencies_s(subject: SubjectWindows, states: Sequence[str]) -> tuple[list[float], int]:
    """Per stress segment (a run of stress-labelled windows): the time from its first
    window's end to the end of the first window predicted `stress` within it; and how many
    segments never got one."""
    latencies, missed = [], 0
    i, n = 0, len(subject.truth)
    while i < n:
        if subject.truth[i] != STRESS:
            i += 1
            continue
        j = i
        while j < n and subject.truth[j] == STRESS:
            j += 1
        hit = next((k for k in range(i, j) if states[k] == STRESS), None)
        if hit is None:
            missed += 1
        else:
            latencies.append(subject.windows[hit].t_end - subject.windows[i].t_end)
        i = j
    return latencies, missed


def drift_alarms(subject: SubjectWindows, streamed: StreamedSession, rest: str) -> dict[str, float]:
    """Drift alarms flagged at windows of the `rest` class, and the hours of such windows
    (each window counts for one hop)."""
    t_end = window_times(subject.windows)[:, 1]
    hop_s = float(np.median(np.diff(t_end))) if t_end.size > 1 else 0.0
    at_rest = [i for i, y in enumerate(subject.truth) if y == rest]
    return {
        "alarms_at_rest": sum(subject.truth[i] == rest for i in streamed.drift_windows),
        "rest_hours": len(at_rest) * hop_s / 3600.0,
        "alarms": len(streamed.drift_windows),
        "hours": len(t_end) * hop_s / 3600.0,
    }


def session_outputs(
    general: OnlineStateModel, subject: SubjectWindows, generic: StreamedSession
) -> dict[str, Any]:
    """Every output check of one held-out session (`generic`: its uncalibrated generic stream)."""
    rest = general.config.labels.class_of(general.config.baseline_phase) or ""
    probas, labels = labelled_probas(generic, subject.truth)
    latencies, missed = stress_latencies_s(subject, generic.states)
    personalised = stream_session(general.copy(), subject, protocol="personalised")
    return {
        "probas": probas,
        "labels": labels,
        "arousal_auroc": arousal_auroc(generic.arousal, subject.truth, rest),
        "arousal_spearman": report_correlation(subject, generic.arousal, "arousal"),
        "valence_spearman": report_correlation(subject, generic.valence, "valence"),
        "latencies_s": latencies,
        "n_missed_onsets": missed,
        **drift_alarms(subject, personalised, rest),
    }


def _mean_ci(values: Sequence[float | None]) -> dict[str, Any]:
    kept = [v for v in values if v is not None and np.isfinite(v)]
    if not kept:
        return {"mean": None, "ci95": None, "n_subjects": 0}
    return {"mean": float(np.mean(kept)), "ci95": stats.bootstrap_ci(kept), "n_subjects": len(kept)}


def summarise_outputs(
    per_subject: Mapping[str, Mapping[str, Any]],
    calibrations: Mapping[str, TopLabelCalibration],
) -> dict[str, Any]:
    """Pooled ECE, Brier score and reliability bins before and after each fold's calibration,
    per-subject ECE and Brier score with CIs, arousal/valence validity, stress-onset latency
    and drift alarm rates."""
    names = sorted(per_subject)
    calibration: dict[str, Any] = {
        "top_label": {
            s: {"slope": calibrations[s].slope, "intercept": calibrations[s].intercept}
            for s in names
        }
    }
    for when in ("before", "after"):
        per_ece, per_brier, confidence, correct = [], [], [], []
        for s in names:
            pair = calibrations[s] if when == "after" else None
            conf, hit = top_label(per_subject[s]["probas"], per_subject[s]["labels"], pair)
            per_ece.append(stats.expected_calibration_error(conf, hit)[0])
            per_brier.append(stats.brier_score(conf, hit))
            confidence += conf
            correct += hit
        ece, bins = stats.expected_calibration_error(confidence, correct)
        calibration[when] = {
            "ece_pooled": ece,
            "bins": bins,
            "ece_per_subject": _mean_ci(per_ece),
            "brier_pooled": stats.brier_score(confidence, correct),
            "brier_per_subject": _mean_ci(per_brier),
        }
    latencies = [x for s in names for x in per_subject[s]["latencies_s"]]
    n_onsets = len(latencies) + sum(per_subject[s]["n_missed_onsets"] for s in names)
    rest_hours = sum(per_subject[s]["rest_hours"] for s in names)
    hours = sum(per_subject[s]["hours"] for s in names)
    alarms_at_rest = sum(per_subject[s]["alarms_at_rest"] for s in names)
    alarms = sum(per_subject[s]["alarms"] for s in names)
    return {
        "calibration": calibration,
        "arousal_auroc": {
            **_mean_ci([per_subject[s]["arousal_auroc"] for s in names]),
            "per_subject": {s: per_subject[s]["arousal_auroc"] for s in names},
        },
        "arousal_sam_spearman": _mean_ci([per_subject[s]["arousal_spearman"] for s in names]),
        "valence_sam_spearman": _mean_ci([per_subject[s]["valence_spearman"] for s in names]),
        "stress_latency_s": {
            "median": float(np.median(latencies)) if latencies else None,
            "mean": float(np.mean(latencies)) if latencies else None,
            "n_onsets": n_onsets,
            "n_missed": n_onsets - len(latencies),
        },
        "drift": {
            "alarms_at_rest": alarms_at_rest,
            "rest_hours": rest_hours,
            "false_alarms_per_rest_hour": alarms_at_rest / rest_hours if rest_hours else None,
            "alarms_per_hour": alarms / hours if hours else None,
            "action": "monitoring only (a drift marker is emitted; the model is not reset)",
        },
    }
