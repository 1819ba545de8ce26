"""Leave-one-subject-out scoring of the online model and its references, in two orders.

For every seed and every held-out subject, a general model is trained on the other subjects'
labelled windows (natural order), then the held-out session is streamed in its natural
order and re-assembled in a random segment order (`shuffled`, see `reorder`). Every protocol
and reference is scored on the same labelled windows of the same session, and per-subject
scores are averaged over the seeds.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from emostream.cluster import SERIAL, ClusterOptions, Outcome, map_named
from emostream.datasets.window_table import window_times
from emostream.datasets.windows import SubjectWindows
from emostream.errors import ModelError
from emostream.evaluation import phases, references, stats
from emostream.evaluation.streaming import declared_baseline, stream_session
from emostream.models.config import ModelConfig
from emostream.models.encoder import SessionEncoder
from emostream.models.online import OnlineStateModel

ONLINE_PROTOCOLS = ("generic", "personalised")
ORDERS = ("natural", "shuffled")

Encoded = list[tuple[dict[str, float], str]]
#: one fold: the seed, the held-out subject and its session in each order scored
FoldItem = tuple[int, SubjectWindows, dict[str, SubjectWindows]]
Progress = Callable[[str], None]


def encode_session(
    config: ModelConfig, subject: SubjectWindows, *, labels: bool
) -> list[dict[str, float]]:
    """Learner input of every window, encoded as the online model encodes it (with every
    marker, or only the declared baseline phase)."""
    encoder = SessionEncoder(config)
    out = []
    for fv in subject.windows:
        markers = fv.markers if labels else declared_baseline(fv.markers, config.baseline_phase)
        out.append(encoder.encode(dataclasses.replace(fv, markers=markers)).x)
    return out


def encode_labelled(config: ModelConfig, subject: SubjectWindows, stride: int) -> Encoded:
    """The subject's labelled windows as learner input, every `stride`-th one."""
    xs = encode_session(config, subject, labels=True)
    return [
        (x, label)
        for i, (x, label) in enumerate(zip(xs, subject.truth, strict=True))
        if label is not None and i % stride == 0
    ]


def train_general(
    config: ModelConfig, config_hash: str, data: Sequence[Encoded], *, seed: int = 0
) -> OnlineStateModel:
    """A general model from several subjects' encoded windows, learned in shuffled order with
    every class drawn as often as the most frequent one (minority windows are repeated)."""
    model = OnlineStateModel(dataclasses.replace(config, seed=seed), config_hash=config_hash)
    rng = random.Random(seed)
    by_class: dict[str, Encoded] = {}
    for subject in data:
        for x, label in subject:
            by_class.setdefault(label, []).append((x, label))
    n_max = max((len(items) for items in by_class.values()), default=0)
    pooled = [
        pair
        for items in by_class.values()
        for pair in items + [rng.choice(items) for _ in range(n_max - len(items))]
    ]
    rng.shuffle(pooled)
    for x, label in pooled:
        model.learn_encoded(x, label)
    model.new_session()
    return model


def elapsed_s(subject: SubjectWindows) -> np.ndarray:
    """Time of each window's end since the session's first window started."""
    times = window_times(subject.windows)
    return times[:, 1] - (times[0, 0] if len(times) else 0.0)


@dataclasses.dataclass(slots=True)
class Fold:
    """What the other subjects give one held-out subject's models."""

    general: OnlineStateModel | None
    #: (feature names, z-score rows, labels, elapsed-time rows) of the others' labelled windows
    names: list[str]
    x: list[dict[str, float]]
    y: list[str]
    t: list[float]


def _labelled_mask(subject: SubjectWindows) -> np.ndarray:
    return np.array([label is not None for label in subject.truth])


def _score_session(subject: SubjectWindows, predicted: Sequence[str]) -> dict[str, float] | None:
    mask = _labelled_mask(subject)
    truth = [t for t in subject.truth if t is not None]
    if len(set(truth)) < 2:
        return None
    return stats.score(truth, [p for p, m in zip(predicted, mask, strict=True) if m])


def predict_session(
    fold: Fold,
    subject: SubjectWindows,
    config: ModelConfig,
    seed: int,
    *,
    with_references: bool = True,
) -> dict[str, list[str]]:
    """Every protocol's and reference's predicted state for each window of one session."""
    out: dict[str, list[str]] = {}
    if fold.general is not None:
        for protocol in ONLINE_PROTOCOLS:
            out[protocol] = stream_session(fold.general.copy(), subject, protocol=protocol).states
    if not with_references or len(set(fold.y)) < 2:
        return out
    t_end = window_times(subject.windows)[:, 1].tolist()
    test_x = encode_session(config, subject, labels=False)
    for name in references.REFERENCES:
        if name == "time-only":
            train_m = np.array(fold.t)[:, None]
            test_m = elapsed_s(subject)[:, None]
        else:
            missing = np.nan if name == "boosting" else 0.0
            train_m = references.feature_matrix(fold.x, fold.names, missing)
            test_m = references.feature_matrix(test_x, fold.names, missing)
        out[name] = references.fit_predict(
            name, train_m, fold.y, test_m, t_end, config.smoothing_s, seed
        )
    return out


def _mean_scores(runs: Sequence[Mapping[str, float]]) -> dict[str, float]:
    keys = ("balanced_accuracy", "accuracy", "macro_f1")
    merged: dict[str, float] = {k: float(np.mean([r[k] for r in runs])) for k in keys}
    merged["n_windows"] = int(np.mean([r["n_windows"] for r in runs]))
    merged["n_seeds"] = len(runs)
    return merged


@dataclasses.dataclass(frozen=True, slots=True)
class _Shared:
    """What every fold needs: the subjects' labelled learner input and elapsed times."""

    config: ModelConfig
    config_hash: str
    model: OnlineStateModel | None
    names: list[str]
    encoded: dict[str, Encoded]
    elapsed: dict[str, list[float]]
    #: the seed whose predicted states are returned (None: no states)
    keep_seed: int | None


@dataclasses.dataclass(frozen=True, slots=True)
class FoldScores:
    """One held-out subject under one seed, per order and protocol: its scores, accuracy
    within each phase and (for the kept seed) predicted states; and its progress lines."""

    scores: dict[str, dict[str, dict[str, float]]]
    phases: dict[str, dict[str, Any]]
    states: dict[str, dict[str, list[str]]]
    notes: list[str]


def _score_fold(item: FoldItem, shared: _Shared) -> FoldScores:
    """Train the general model and references without the held-out subject, then score every
    order of its session (`item`: seed, subject, its session per order)."""
    seed, subject, sessions = item
    config, name = shared.config, subject.subject
    others = [shared.encoded[other] for other in shared.names if other != name]
    if shared.model is not None:
        general = shared.model.copy()
    elif others:
        general = train_general(config, shared.config_hash, others, seed=seed)
    else:
        general = None
    pairs = [pair for other in others for pair in other]
    fold = Fold(
        general,
        sorted({key for x, _ in pairs for key in x}),
        [x for x, _ in pairs],
        [y for _, y in pairs],
        [t for other in shared.names if other != name for t in shared.elapsed[other]],
    )
    result = FoldScores({}, {}, {}, [])
    for order, session in sessions.items():
        predicted = predict_session(
            fold, session, config, seed, with_references=shared.model is None
        )
        session_phases = phases.window_phases(session, config.labels, config.baseline_phase)
        for protocol, states in predicted.items():
            scored = _score_session(session, states)
            if scored is None:
                continue
            result.scores.setdefault(order, {})[protocol] = scored
            result.phases.setdefault(order, {})[protocol] = phases.phase_accuracy(
                session.truth, states, session_phases
            )
            if seed == shared.keep_seed:
                result.states.setdefault(order, {})[protocol] = states
        result.notes.append(
            f"{order}: "
            + "  ".join(
                f"{p} {s['balanced_accuracy']:.3f}" for p, s in result.scores.get(order, {}).items()
            )
        )
    return result


class Folds(Sequence[tuple[str, FoldItem]]):
    """Every (seed, labelled subject) as a named fold, its shuffled session read only when the
    fold is."""

    def __init__(
        self,
        keys: list[tuple[int, SubjectWindows]],
        shuffled: Callable[[str, int], SubjectWindows] | None,
    ) -> None:
        self.keys, self._shuffled = keys, shuffled

    def __len__(self) -> int:
        return len(self.keys)

    def __getitem__(self, i: int) -> tuple[str, FoldItem]:  # type: ignore[override]
        seed, subject = self.keys[i]
        sessions = {"natural": subject}
        if self._shuffled is not None:
            sessions["shuffled"] = self._shuffled(subject.subject, seed)
        return f"seed {seed} {subject.subject}", (seed, subject, sessions)


def evaluate(
    subjects: Sequence[SubjectWindows],
    config: ModelConfig,
    *,
    config_hash: str,
    shuffled: Callable[[str, int], SubjectWindows] | None = None,
    model: OnlineStateModel | None = None,
    seeds: Sequence[int] = (0, 1, 2),
    train_stride: int = 5,
    keep_predictions: bool = False,
    progress: Progress = lambda _: None,
    cluster: ClusterOptions = SERIAL,
) -> dict[str, Any]:
    """Scores of every protocol and reference, per order, with CIs and paired comparisons.

    `shuffled(subject, seed)` gives the held-out session re-assembled in a random order
    (None: natural order only). With `model`, that model replaces the per-fold general model
    and the references are not trained. With `keep_predictions`, the result also holds the
    first seed's predicted state of every window (`predictions[order][protocol][subject]`).
    `phases[order][protocol]` holds the accuracy within each protocol phase (see `phases`).
    The folds run on `cluster` (default: one after the other in this process); the result
    is the same either way.
    """
    shared = _Shared(
        config,
        config_hash,
        model,
        [s.subject for s in subjects],
        {s.subject: encode_labelled(config, s, train_stride) for s in subjects},
        {
            s.subject: [
                float(t)
                for i, (t, label) in enumerate(zip(elapsed_s(s), s.truth, strict=True))
                if label is not None and i % train_stride == 0
            ]
            for s in subjects
        },
        seeds[0] if keep_predictions and seeds else None,
    )
    for k, subject in enumerate(subjects, 1):
        if not any(subject.truth):
            progress(f"[{k}/{len(subjects)}] {subject.subject}: no labelled windows, skipped")
    folds = Folds([(seed, s) for seed in seeds for s in subjects if any(s.truth)], shuffled)

    def report(outcome: Outcome[FoldScores]) -> None:
        for note in outcome.value.notes if outcome.value is not None else ():
            progress(f"{outcome.name} {note}")

    outcomes = map_named(_score_fold, folds, cluster, what="folds", shared=shared, done=report)
    orders = ORDERS if shuffled is not None else ORDERS[:1]
    runs: dict[str, dict[str, dict[str, list[dict[str, float]]]]] = {o: {} for o in orders}
    by_phase: dict[str, dict[str, dict[str, list[Any]]]] = {o: {} for o in orders}
    kept: dict[str, dict[str, dict[str, list[str]]]] = {o: {} for o in orders}
    for (_, subject), outcome in zip(folds.keys, outcomes, strict=True):
        fold = outcome.value
        if fold is None:
            raise ModelError(f"{outcome.name}: {outcome.error}")
        for order, scores in fold.scores.items():
            for protocol, scored in scores.items():
                runs[order].setdefault(protocol, {}).setdefault(subject.subject, []).append(scored)
                by_phase[order].setdefault(protocol, {}).setdefault(subject.subject, []).append(
                    fold.phases[order][protocol]
                )
        for order, states in fold.states.items():
            for protocol, predicted in states.items():
                kept[order].setdefault(protocol, {})[subject.subject] = predicted
    result: dict[str, Any] = {"seeds": list(seeds), "classes": list(config.labels.classes)}
    for order in orders:
        per_protocol = {
            protocol: {name: _mean_scores(r) for name, r in by_subject.items()}
            for protocol, by_subject in runs[order].items()
        }
        result[order] = {p: stats.summarise(s) for p, s in per_protocol.items()}
        result[order]["comparisons"] = _comparisons(per_protocol)
    result["phases"] = {
        order: {p: phases.summarise_phases(s) for p, s in by_phase[order].items()}
        for order in orders
    }
    if keep_predictions:
        result["predictions"] = kept
    return result


#: (a, b) pairs whose paired difference a − b is reported
COMPARISONS = (
    ("generic", "time-only"),
    ("generic", "logistic"),
    ("generic", "boosting"),
    ("personalised", "generic"),
)


def _comparisons(per_protocol: Mapping[str, Mapping[str, Mapping[str, float]]]) -> dict[str, Any]:
    return {
        f"{a} - {b}": stats.paired_difference(per_protocol[a], per_protocol[b])
        for a, b in COMPARISONS
        if a in per_protocol and b in per_protocol
    }
