"""Protocols: no leakage from the held-out subject, no use of absolute time."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from emostream.datasets.windows import SubjectWindows
from emostream.evaluation.protocols import elapsed_s, encode_labelled, evaluate, train_general
from emostream.evaluation.streaming import stream_session

from .conftest import model_config, synthetic_subject

SUBJECTS = [
    synthetic_subject(f"S{i}", order)
    for i, order in enumerate([("stress", "amusement"), ("amusement", "stress")] * 3)
]


def _relabelled(subject: SubjectWindows) -> SubjectWindows:
    """The same session with the names of its stress and amusement phases swapped."""
    swap = {"stress": "amusement", "amusement": "stress"}

    def marker(text: str) -> str:
        kind, name, edge = text.split(":")
        return f"{kind}:{swap.get(name, name)}:{edge}"

    windows = [
        dataclasses.replace(fv, markers=[(t, marker(m)) for t, m in fv.markers])
        for fv in subject.windows
    ]
    truth = [swap.get(t, t) if t is not None else None for t in subject.truth]
    return SubjectWindows(subject.subject, windows, truth)


def test_held_out_labels_do_not_change_its_generic_predictions():
    """In either order: the shuffled session is scored after the natural one's personalised
    stream has learned its labels, and must not see them."""
    config = model_config()

    def predictions(relabel: bool) -> dict:
        """Every order's predictions, with S0's stress and amusement swapped or not."""
        change = _relabelled if relabel else (lambda subject: subject)
        reassembled = {
            s.subject: synthetic_subject(s.subject, ("amusement", "stress")) for s in SUBJECTS
        }
        reassembled["S0"] = change(reassembled["S0"])
        return evaluate(
            [change(SUBJECTS[0]), *SUBJECTS[1:]],
            config,
            config_hash="test",
            shuffled=lambda name, seed: reassembled[name],
            seeds=[0],
            keep_predictions=True,
        )["predictions"]

    before, after = predictions(relabel=False), predictions(relabel=True)
    for order in ("natural", "shuffled"):
        for protocol in ("generic", "time-only", "logistic", "boosting"):
            assert after[order][protocol]["S0"] == before[order][protocol]["S0"], (order, protocol)
    # the labels do reach the personalised protocol and the other subjects' models
    assert after["natural"]["personalised"]["S0"] != before["natural"]["personalised"]["S0"]
    assert after["natural"]["generic"]["S1"] != before["natural"]["generic"]["S1"]


def test_the_time_only_reference_sees_time_since_the_session_start():
    """Elapsed time, never the clock: a session recorded at a unix time gives the same inputs."""
    subject = SUBJECTS[0]
    elapsed = elapsed_s(subject)
    assert elapsed[0] == pytest.approx(subject.windows[0].t_end - subject.windows[0].t_start)
    np.testing.assert_allclose(elapsed_s(_shifted(subject, 1.7e9)), elapsed, atol=1e-6)


def test_only_the_personalised_protocol_learns_from_the_held_out_subject():
    config = model_config()
    general = train_general(config, "test", [encode_labelled(config, s, 1) for s in SUBJECTS[1:]])
    generic = stream_session(general.copy(), SUBJECTS[0], protocol="generic")
    personalised = stream_session(general.copy(), SUBJECTS[0], protocol="personalised")
    assert generic.n_learned == 0  # its declared baseline only adapts the wearer's statistics
    assert personalised.n_learned > 0


def test_the_model_and_the_feature_references_separate_the_synthetic_states():
    result = evaluate(SUBJECTS, model_config(), config_hash="test", seeds=[0])
    for protocol in ("generic", "logistic", "boosting"):
        assert result["natural"][protocol]["balanced_accuracy_mean"] > 0.9, protocol


def _shifted(subject: SubjectWindows, dt_s: float) -> SubjectWindows:
    windows = [
        dataclasses.replace(
            fv,
            t_start=fv.t_start + dt_s,
            t_end=fv.t_end + dt_s,
            markers=[(t + dt_s, m) for t, m in fv.markers],
        )
        for fv in subject.windows
    ]
    return SubjectWindows(subject.subject, windows, subject.truth)


@pytest.mark.parametrize("normalise", ["baseline-phase", "running"])
@pytest.mark.parametrize("protocol", ["generic", "personalised"])
def test_predictions_do_not_depend_on_absolute_time(normalise, protocol):
    config = model_config(normalise=normalise, warmup_s=300.0)
    general = train_general(config, "test", [encode_labelled(config, s, 1) for s in SUBJECTS[1:]])
    subject = SUBJECTS[0]
    base = stream_session(general.copy(), subject, protocol=protocol)
    for dt_s in (1e5, -3e3):
        moved = stream_session(general.copy(), _shifted(subject, dt_s), protocol=protocol)
        assert moved.states == base.states
        for a, b in zip(moved.proba, base.proba, strict=True):
            assert a == pytest.approx(b, abs=1e-9)


def test_folds_scored_on_a_dask_cluster_give_the_same_result(dask_scheduler):
    from emostream.cluster import ClusterOptions

    subjects = SUBJECTS[:4]
    by_name = {s.subject: s for s in subjects}
    reassembled = {
        s.subject: synthetic_subject(s.subject, ("amusement", "stress")) for s in subjects
    }
    kwargs = dict(
        config_hash="test",
        shuffled=lambda name, seed: reassembled[name],
        seeds=[0, 1],
        keep_predictions=True,
    )
    serial = evaluate(subjects, model_config(), **kwargs)
    lines: list[str] = []
    parallel = evaluate(
        subjects,
        model_config(),
        **kwargs,
        progress=lines.append,
        cluster=ClusterOptions(scheduler=dask_scheduler),
    )
    assert parallel == serial
    assert serial["predictions"]["shuffled"]["generic"].keys() == by_name.keys()
    # one progress line per seed, subject and order, however the workers finish
    folds = sorted(line.split(":")[0] for line in lines)
    assert folds == sorted(
        f"seed {seed} {name} {order}"
        for seed in (0, 1)
        for name in by_name
        for order in ("natural", "shuffled")
    )
