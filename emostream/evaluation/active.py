"""Active learning measured: a simulated wearer answers label requests with the truth.

A request made at window end t about the preceding s seconds is answered with
`report:<s>s:state=<class>`, delivered with the next window, when every labelled window
ending in (t − s, t] has that one class; otherwise the answer is "don't know" (no marker; the
request still counts against the budget). Strategies at equal budget:
- `uncertainty`: the model asks where its calibrated confidence is below `confidence_below`;
- `random` / `periodic`: as many requests as `uncertainty` made in that session, at seeded
  random / evenly spaced windows (each late enough for its span to fit in the session);
- `scratch`: uncertainty requests at the goal budget, answered to a fresh model of the same
  configuration (the warm start's counterpart);
- budget 0 (`baseline-only`): the model learns the declared baseline phase only.
Every strategy, and `generic`, is scored on the same `later` windows: the last half of the
session's labelled windows.
"""

from __future__ import annotations

import dataclasses
import random
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from emostream.datasets.window_table import window_times
from emostream.datasets.windows import SubjectWindows
from emostream.evaluation import stats
from emostream.evaluation.streaming import stream_session
from emostream.features.base import FeatureVector
from emostream.models.online import OnlineStateModel

BUDGETS = (2, 4, 8, 16)
STRATEGIES = ("uncertainty", "random", "periodic", "scratch")
#: the goal's budget: at most this many answers a session
GOAL_BUDGET = 8

_SPAN = re.compile(r"^label-request:([0-9.]+)s:")


class SimulatedWearer:
    """Answers label requests with the true class of the requested span (see module doc)."""

    def __init__(self, subject: SubjectWindows):
        self._t_end = window_times(subject.windows)[:, 1]
        self._truth = subject.truth

    def __call__(self, request: str, fv: FeatureVector) -> list[tuple[float, str]]:
        match = _SPAN.match(request)
        if match is None:
            return []
        span_s = float(match.group(1))
        lo, hi = np.searchsorted(self._t_end, [fv.t_end - span_s, fv.t_end], side="right")
        classes = set(self._truth[lo:hi])
        if len(classes) != 1 or None in classes:
            return []
        return [(fv.t_end, f"report:{span_s:g}s:state={classes.pop()}")]


def schedule(
    subject: SubjectWindows, n: int, span_s: float, kind: str, seed: int
) -> frozenset[int]:
    """`n` request windows, at random (`random`) or evenly spaced (`periodic`), among the
    windows whose span fits after the session's start."""
    if not subject.windows or n <= 0:
        return frozenset()
    t0 = subject.windows[0].t_start
    eligible = [i for i, fv in enumerate(subject.windows) if fv.t_end - t0 >= span_s]
    n = min(n, len(eligible))
    if kind == "random":
        return frozenset(random.Random(seed).sample(eligible, n))
    positions = (np.arange(n) + 1) * len(eligible) // (n + 1)
    return frozenset(eligible[p] for p in positions)


def later_windows(subject: SubjectWindows) -> list[int]:
    """Indices of the last half of the session's labelled windows (the scored ones)."""
    labelled = [i for i, label in enumerate(subject.truth) if label is not None]
    return labelled[len(labelled) // 2 :]


def _with_budget(model: OnlineStateModel, budget: int) -> OnlineStateModel:
    """`model` asking at most `budget` times, at most once per request span."""
    active = dataclasses.replace(
        model.config.active, enabled=True, budget=budget, min_interval_s=model.config.active.span_s
    )
    model.config = dataclasses.replace(model.config, active=active)
    return model


def active_session(
    general: OnlineStateModel,
    session: SubjectWindows,
    generic_states: Sequence[str],
    *,
    budgets: Sequence[int] = BUDGETS,
    seed: int = 0,
) -> dict[str, Any] | None:
    """Scores on the later windows of `generic` and every strategy at every budget, with the
    requests and answers each used; None when the later windows hold fewer than two classes."""
    later = later_windows(session)
    truth = [label for i in later if (label := session.truth[i]) is not None]  # all labelled
    if len(set(truth)) < 2:
        return None
    wearer = SimulatedWearer(session)

    def run(model: OnlineStateModel, budget: int, plan: frozenset[int] | None) -> dict[str, Any]:
        streamed = stream_session(
            _with_budget(model, budget), session, protocol="answers", answer=wearer, schedule=plan
        )
        scored = stats.score(truth, [streamed.states[i] for i in later])
        return {**scored, "n_requests": streamed.n_requests, "n_answers": streamed.n_answers}

    out: dict[str, Any] = {"generic": stats.score(truth, [generic_states[i] for i in later])}
    out["baseline-only"] = run(general.copy(), 0, None)
    span_s = general.config.active.span_s
    fresh = OnlineStateModel(general.config, config_hash=general.config_hash)
    for budget in budgets:
        asked = out[f"uncertainty@{budget}"] = run(general.copy(), budget, None)
        for kind in ("random", "periodic"):
            plan = schedule(session, asked["n_requests"], span_s, kind, seed)
            out[f"{kind}@{budget}"] = run(general.copy(), budget, plan)
        if budget == GOAL_BUDGET:
            out[f"scratch@{budget}"] = run(fresh.copy(), budget, None)
    return out


def summarise_active(per_subject: Mapping[str, Mapping[str, Mapping[str, float]]]) -> dict:
    """Per run name (`generic`, `<strategy>@<budget>`): mean balanced accuracy with its CI,
    mean requests and answers, worst drop below generic; and the paired comparisons."""
    names = sorted({run for runs in per_subject.values() for run in runs})
    by_run = {n: {s: runs[n] for s, runs in per_subject.items() if n in runs} for n in names}
    summary: dict[str, Any] = {}
    for name, scores in by_run.items():
        s = stats.summarise(scores)
        row = {k: s[k] for k in ("balanced_accuracy_mean", "balanced_accuracy_ci95")}
        if name != "generic":
            row["n_requests_mean"] = float(np.mean([v["n_requests"] for v in scores.values()]))
            row["n_answers_mean"] = float(np.mean([v["n_answers"] for v in scores.values()]))
            drops = [
                by_run["generic"][k]["balanced_accuracy"] - v["balanced_accuracy"]
                for k, v in scores.items()
            ]
            row["max_drop_below_generic"] = float(max(drops))
        row["per_subject"] = {k: v["balanced_accuracy"] for k, v in scores.items()}
        summary[name] = row
    comparisons = {}
    budgets = sorted({int(n.split("@")[1]) for n in names if "@" in n})
    for budget in budgets:
        pairs = [
            ("uncertainty", "generic"),
            ("uncertainty", "random"),
            ("uncertainty", "periodic"),
            ("uncertainty", "scratch"),
        ]
        for a, b in pairs:
            a_name = f"{a}@{budget}"
            b_name = b if b == "generic" else f"{b}@{budget}"
            if a_name in by_run and b_name in by_run:
                comparisons[f"{a_name} - {b_name}"] = stats.paired_difference(
                    by_run[a_name], by_run[b_name]
                )
    return {"runs": summary, "comparisons": comparisons, "budgets": budgets}
