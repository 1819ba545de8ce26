"""Active learning measured: the simulated wearer, request schedules, equal budgets."""

from __future__ import annotations

import dataclasses
import itertools

from emostream.commands.evaluate import print_table
from emostream.evaluation.active import (
    SimulatedWearer,
    active_session,
    later_windows,
    schedule,
    summarise_active,
)
from emostream.evaluation.heldout import evaluate_heldout
from emostream.evaluation.protocols import encode_labelled, train_general
from emostream.evaluation.streaming import stream_session

from .conftest import model_config, synthetic_subject
from .test_protocols import SUBJECTS, _relabelled

SPAN_S = 120.0


def test_wearer_answers_the_true_class_of_a_pure_span():
    subject = synthetic_subject("W")
    wearer = SimulatedWearer(subject)
    i = next(
        i for i in range(30, len(subject.truth)) if subject.truth[i - 12 : i + 1] == ["stress"] * 13
    )
    fv = subject.windows[i]
    assert wearer(f"label-request:{SPAN_S:g}s:confidence=0.40", fv) == [
        (fv.t_end, f"report:{SPAN_S:g}s:state=stress")
    ]


def test_wearer_does_not_know_a_mixed_or_unlabelled_span():
    subject = synthetic_subject("W")
    wearer = SimulatedWearer(subject)
    request = f"label-request:{SPAN_S:g}s:scheduled"
    mixed = next(
        i for i in range(12, len(subject.truth)) if len(set(subject.truth[i - 11 : i + 1])) > 1
    )
    assert wearer(request, subject.windows[mixed]) == []
    unlabelled = subject.truth.index(None)
    assert wearer(request, subject.windows[unlabelled]) == []
    # two classes back to back, every window labelled: still a mixed span
    n = len(subject.truth)
    edge = n // 2
    two = dataclasses.replace(subject, truth=["baseline"] * edge + ["stress"] * (n - edge))
    wearer = SimulatedWearer(two)
    assert wearer(request, two.windows[edge]) == []
    assert wearer(request, two.windows[edge + 11])[0][1] == f"report:{SPAN_S:g}s:state=stress"


def test_schedules_are_seeded_and_fit_their_span():
    subject = synthetic_subject("W")
    t0 = subject.windows[0].t_start
    for kind in ("random", "periodic"):
        plan = schedule(subject, 6, SPAN_S, kind, seed=3)
        assert len(plan) == 6
        assert plan == schedule(subject, 6, SPAN_S, kind, seed=3)
        assert all(subject.windows[i].t_end - t0 >= SPAN_S for i in plan)
    assert schedule(subject, 6, SPAN_S, "random", 3) != schedule(subject, 6, SPAN_S, "random", 4)
    periodic = sorted(schedule(subject, 6, SPAN_S, "periodic", 0))
    gaps = {b - a for a, b in itertools.pairwise(periodic)}
    assert max(gaps) - min(gaps) <= 1


def test_scheduled_answers_reach_the_model():
    config = model_config()
    others = [encode_labelled(config, s, 5) for s in SUBJECTS[1:]]
    general = train_general(config, "test", others)
    subject = SUBJECTS[0]
    plan = schedule(subject, 5, config.active.span_s, "periodic", 0)
    wearer = SimulatedWearer(subject)
    base = stream_session(general.copy(), subject, protocol="answers", schedule=frozenset())
    asked = stream_session(
        general.copy(), subject, protocol="answers", answer=wearer, schedule=plan
    )
    assert asked.n_requests == 5
    assert 0 < asked.n_answers <= 5
    assert asked.n_learned > base.n_learned


def test_strategies_share_budget_and_scored_windows():
    config = model_config()
    general = train_general(config, "test", [encode_labelled(config, s, 5) for s in SUBJECTS[1:]])
    subject = SUBJECTS[0]
    generic = stream_session(general.copy(), subject, protocol="generic").states
    # a weakly confident model: every window is uncertain, so budgets bind
    shy = dataclasses.replace(config.active, confidence_below=1.01)
    general.config = dataclasses.replace(general.config, active=shy)
    runs = active_session(general, subject, generic, budgets=(2, 4, 8))
    n_later = len(later_windows(subject))
    assert runs["scratch@8"]["n_windows"] == n_later
    for budget in (2, 4):
        asked = runs[f"uncertainty@{budget}"]["n_requests"]
        assert asked == budget
        for kind in ("random", "periodic"):
            assert runs[f"{kind}@{budget}"]["n_requests"] == asked
        for name in ("uncertainty", "random", "periodic"):
            assert runs[f"{name}@{budget}"]["n_windows"] == n_later
    assert runs["baseline-only"]["n_requests"] == 0
    assert runs["generic"]["n_windows"] == n_later
    summary = summarise_active({"S0": runs, "S1": runs})
    assert summary["comparisons"]["uncertainty@2 - random@2"]["n_subjects"] == 2


def test_held_out_labels_do_not_change_its_calibration():
    """The held-out subject is among those `evaluate_heldout` is given; its fold's
    calibration must come from the others alone."""
    config = model_config()
    changed = [_relabelled(SUBJECTS[0]), *SUBJECTS[1:]]
    kwargs = dict(config_hash="test", held_out=("S0",), with_active=False)
    before = evaluate_heldout(SUBJECTS, config, **kwargs)["outputs"]["calibration"]
    after = evaluate_heldout(changed, config, **kwargs)["outputs"]["calibration"]
    assert before["top_label"]["S0"] == after["top_label"]["S0"]
    assert before["top_label"]["S0"] != {"slope": 1.0, "intercept": 0.0}
    # the relabelled session itself is scored differently, so its labels did reach the run
    assert before["before"]["ece_pooled"] != after["before"]["ece_pooled"]


def test_the_printed_outputs_give_each_calibrations_ece_and_brier_score(capsys):
    outputs = evaluate_heldout(
        SUBJECTS, model_config(), config_hash="test", held_out=("S0",), with_active=False
    )["outputs"]
    print_table({"outputs": outputs})
    text = capsys.readouterr().out
    before, after = (outputs["calibration"][when] for when in ("before", "after"))
    assert f"{before['brier_pooled']:.4f}" != f"{after['brier_pooled']:.4f}"
    for when, cal in (("before", before), ("after", after)):
        assert f"ECE {when} calibration: pooled {cal['ece_pooled']:.3f}," in text
        assert f"Brier score {when} calibration: pooled {cal['brier_pooled']:.4f}," in text


def test_heldout_summary_has_every_strategy_and_budget():
    result = evaluate_heldout(
        SUBJECTS[:4],
        model_config(),
        config_hash="test",
        budgets=(2, 8),
        held_out=("S0", "S1"),
        with_outputs=False,
    )
    runs = result["active"]["natural"]["runs"]
    assert set(runs) == {
        "generic",
        "baseline-only",
        "uncertainty@2",
        "random@2",
        "periodic@2",
        "uncertainty@8",
        "random@8",
        "periodic@8",
        "scratch@8",
    }
    assert set(runs["generic"]["per_subject"]) == {"S0", "S1"}
    assert all(0.0 <= r["balanced_accuracy_mean"] <= 1.0 for r in runs.values())


def test_figures_without_a_measurement_is_a_usage_error(tmp_path, capsys):
    from emostream.cli import main

    code = main(["evaluate", str(tmp_path), "--format", "wesad", "--figures", str(tmp_path)])
    assert code == 2
    assert "--figures needs --active or --outputs" in capsys.readouterr().err


def test_heldout_folds_on_a_dask_cluster_give_the_same_result(dask_scheduler):
    from emostream.cluster import ClusterOptions

    kwargs = dict(config_hash="test", budgets=(2, 8), held_out=("S0", "S1", "S2"))
    serial = evaluate_heldout(SUBJECTS[:4], model_config(), **kwargs)
    lines: list[str] = []
    parallel = evaluate_heldout(
        SUBJECTS[:4],
        model_config(),
        **kwargs,
        progress=lines.append,
        cluster=ClusterOptions(scheduler=dask_scheduler),
    )
    assert parallel == serial
    assert sorted(serial["outputs"]["calibration"]["top_label"]) == ["S0", "S1", "S2"]
    assert sorted(line.split(":")[0] for line in lines) == ["seed 0 S0", "seed 0 S1", "seed 0 S2"]
