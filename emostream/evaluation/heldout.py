"""Leave-one-subject-out with a calibrated general model: active learning and output checks.

For every seed and held-out subject, the general model is trained on the other subjects
(as in `protocols`), and its calibration is cross-fitted on them alone (`calibrate`). The
held-out session is then streamed to measure the outputs (`outputs`, natural order) and the
label-request strategies (`active`: on the shuffled order when it is given, else on the
natural order).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Sequence
from typing import Any

import numpy as np

from emostream.cluster import SERIAL, ClusterOptions, map_named
from emostream.datasets.windows import SubjectWindows
from emostream.errors import ModelError
from emostream.evaluation import active, outputs
from emostream.evaluation.calibrate import calibrated_general
from emostream.evaluation.protocols import Encoded, FoldItem, Folds, Progress, encode_labelled
from emostream.evaluation.streaming import stream_session
from emostream.models.calibration import TopLabelCalibration
from emostream.models.config import ModelConfig


def _mean_runs(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Per run name, the seed-mean of each number."""
    return {
        name: {key: float(np.mean([r[name][key] for r in runs])) for key in runs[0][name]}
        for name in runs[0]
    }


@dataclasses.dataclass(frozen=True, slots=True)
class _Shared:
    """What every fold needs: every subject's windows and labelled learner input."""

    config: ModelConfig
    config_hash: str
    subjects: list[SubjectWindows]
    encoded: dict[str, Encoded]
    #: the seed whose outputs are measured (None: no outputs)
    outputs_seed: int | None
    with_active: bool
    budgets: tuple[int, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class _FoldResult:
    """One held-out subject under one seed: its outputs, calibration and label requests."""

    outputs: dict[str, Any] | None
    calibration: TopLabelCalibration
    #: the label-request scores of the session's order, absent when it holds one class
    active: dict[str, Any] | None
    note: str


def _heldout_fold(item: FoldItem, shared: _Shared) -> _FoldResult:
    """Train and calibrate the general model without the held-out subject, then measure its
    outputs (natural order) and label requests (the last order of `item`'s sessions)."""
    seed, subject, sessions = item
    others = [s for s in shared.subjects if s.subject != subject.subject]
    general = calibrated_general(
        shared.config, shared.config_hash, others, shared.encoded, seed=seed
    )
    calibration, general.calibration = general.calibration, TopLabelCalibration()
    generic = stream_session(general.copy(), subject, protocol="generic")
    measured = (
        outputs.session_outputs(general, subject, generic) if seed == shared.outputs_seed else None
    )
    general.calibration = calibration
    note = f"calibration slope {calibration.slope:.2f} intercept {calibration.intercept:.2f}"
    if not shared.with_active:
        return _FoldResult(measured, calibration, None, note)
    order, session = list(sessions.items())[-1]
    states = (
        generic.states
        if order == "natural"
        else stream_session(general.copy(), session, protocol="generic").states
    )
    scored = active.active_session(general, session, states, budgets=shared.budgets, seed=seed)
    if scored is None:
        note += f"  {order}: later windows hold one class, skipped"
    else:
        at_goal = scored.get(f"uncertainty@{active.GOAL_BUDGET}", {})
        note += (
            f"  {order}: generic {scored['generic']['balanced_accuracy']:.3f} "
            f"uncertainty@{active.GOAL_BUDGET} "
            f"{at_goal.get('balanced_accuracy', float('nan')):.3f}"
        )
    return _FoldResult(measured, calibration, scored, note)


def evaluate_heldout(
    subjects: Sequence[SubjectWindows],
    config: ModelConfig,
    *,
    config_hash: str,
    shuffled: Callable[[str, int], SubjectWindows] | None = None,
    seeds: Sequence[int] = (0,),
    train_stride: int = 5,
    with_active: bool = True,
    with_outputs: bool = True,
    budgets: Sequence[int] = active.BUDGETS,
    held_out: Collection[str] = (),
    progress: Progress = lambda _: None,
    cluster: ClusterOptions = SERIAL,
) -> dict[str, Any]:
    """`{"active": {order: summary}, "outputs": summary}` over the held-out subjects (every
    subject, or only those in `held_out`; the general models learn from all the others). The
    folds run on `cluster` (default: one after the other in this process), with the same
    result either way."""
    shared = _Shared(
        config,
        config_hash,
        list(subjects),
        {s.subject: encode_labelled(config, s, train_stride) for s in subjects},
        seeds[0] if with_outputs and seeds else None,
        with_active,
        tuple(budgets),
    )
    folds = Folds(
        [
            (seed, s)
            for seed in seeds
            for s in subjects
            if any(s.truth) and len(subjects) > 1 and (not held_out or s.subject in held_out)
        ],
        shuffled if with_active else None,
    )
    outcomes = map_named(
        _heldout_fold,
        folds,
        cluster,
        what="held-out folds",
        shared=shared,
        done=lambda o: progress(f"{o.name}: {o.value.note if o.value else o.error}"),
    )
    order = "shuffled" if shuffled is not None else "natural"
    active_runs: dict[str, list[dict[str, Any]]] = {}
    output_items: dict[str, dict[str, Any]] = {}
    calibrations: dict[str, TopLabelCalibration] = {}
    for (_, subject), outcome in zip(folds.keys, outcomes, strict=True):
        fold = outcome.value
        if fold is None:
            raise ModelError(f"{outcome.name}: {outcome.error}")
        if fold.outputs is not None:
            output_items[subject.subject] = fold.outputs
            calibrations[subject.subject] = fold.calibration
        if fold.active is not None:
            active_runs.setdefault(subject.subject, []).append(fold.active)
    result: dict[str, Any] = {}
    if with_active:
        result["active"] = {
            order: active.summarise_active(
                {name: _mean_runs(runs) for name, runs in active_runs.items()}
            )
        }
    if with_outputs:
        result["outputs"] = outputs.summarise_outputs(output_items, calibrations)
    return result
