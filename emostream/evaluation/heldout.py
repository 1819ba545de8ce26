"""Leave-one-subject-out with a calibrated general model: active learning and output checks.

For every seed and held-out subject, the general model is trained on the other subjects
(as in `protocols`), and its calibration is cross-fitted on them alone (`calibrate`). The
held-out session is then streamed to measure the outputs (`outputs`, natural order) and the
label-request strategies (`active`: on the shuffled order when it is given, else on the
natural order).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Any

import numpy as np

from emostream.datasets.windows import SubjectWindows
from emostream.evaluation import active, outputs
from emostream.evaluation.calibrate import calibrated_general
from emostream.evaluation.protocols import Progress, encode_labelled
from emostream.evaluation.streaming import stream_session
from emostream.models.calibration import TopLabelCalibration
from emostream.models.config import ModelConfig


def _mean_runs(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Per run name, the seed-mean of each number."""
    return {
        name: {key: float(np.mean([r[name][key] for r in runs])) for key in runs[0][name]}
        for name in runs[0]
    }


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
) -> dict[str, Any]:
    """`{"active": {order: summary}, "outputs": summary}` over the held-out subjects (every
    subject, or only those in `held_out`; the general models learn from all the others)."""
    encoded = {s.subject: encode_labelled(config, s, train_stride) for s in subjects}
    orders = ["shuffled"] if shuffled is not None else ["natural"]
    active_runs: dict[str, dict[str, list[dict[str, Any]]]] = {o: {} for o in orders}
    output_items: dict[str, dict[str, Any]] = {}
    calibrations: dict[str, TopLabelCalibration] = {}
    for seed in seeds:
        for k, subject in enumerate(subjects, 1):
            name = subject.subject
            others = [s for s in subjects if s.subject != name]
            if not any(subject.truth) or not others or (held_out and name not in held_out):
                continue
            general = calibrated_general(config, config_hash, others, encoded, seed=seed)
            calibration, general.calibration = general.calibration, TopLabelCalibration()
            generic = stream_session(general.copy(), subject, protocol="generic")
            if with_outputs and seed == seeds[0]:
                output_items[name] = outputs.session_outputs(general, subject, generic)
                calibrations[name] = calibration
            general.calibration = calibration
            note = (
                f"calibration slope {calibration.slope:.2f} intercept {calibration.intercept:.2f}"
            )
            for order in orders if with_active else ():
                session = subject if order == "natural" else shuffled(name, seed)  # type: ignore[misc]
                states = (
                    generic.states
                    if order == "natural"
                    else stream_session(general.copy(), session, protocol="generic").states
                )
                scored = active.active_session(general, session, states, budgets=budgets, seed=seed)
                if scored is None:
                    note += f"  {order}: later windows hold one class, skipped"
                    continue
                active_runs[order].setdefault(name, []).append(scored)
                note += (
                    f"  {order}: generic {scored['generic']['balanced_accuracy']:.3f} "
                    f"uncertainty@{active.GOAL_BUDGET} "
                    f"{scored.get(f'uncertainty@{active.GOAL_BUDGET}', {}).get('balanced_accuracy', float('nan')):.3f}"
                )
            progress(f"seed {seed} [{k}/{len(subjects)}] {name}: {note}")
    result: dict[str, Any] = {}
    if with_active:
        result["active"] = {
            order: active.summarise_active(
                {name: _mean_runs(runs) for name, runs in active_runs[order].items()}
            )
            for order in orders
        }
    if with_outputs:
        result["outputs"] = outputs.summarise_outputs(output_items, calibrations)
    return result
