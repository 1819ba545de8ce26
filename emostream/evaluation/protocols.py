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

from emostream.datasets.windows import SubjectWindows
from emostream.evaluation import phases, references, stats
from emostream.evaluation.streaming import declared_baseline, stream_session
from emostream.models.config import ModelConfig
from emostream.models.encoder import SessionEncoder
from emostream.models.online import OnlineStateModel

ONLINE_PROTOCOLS = ("generic", "personalised")
ORDERS = ("natural", "shuffled")

Encoded = list[tuple[dict[str, float], str]]
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
    t0 = subject.windows[0].t_start if subject.windows else 0.0
    return np.array([fv.t_end - t0 for fv in subject.windows])


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
    t_end = [fv.t_end for fv in subject.windows]
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
) -> dict[str, Any]:
    """Scores of every protocol and reference, per order, with CIs and paired comparisons.

    `shuffled(subject, seed)` gives the held-out session re-assembled in a random order
    (None: natural order only). With `model`, that model replaces the per-fold general model
    and the references are not trained. With `keep_predictions`, the result also holds the
    first seed's predicted state of every window (`predictions[order][protocol][subject]`).
    `phases[order][protocol]` holds the accuracy within each protocol phase (see `phases`).
    """
    encoded = {s.subject: encode_labelled(config, s, train_stride) for s in subjects}
    elapsed = {
        s.subject: [
            t
            for i, (t, label) in enumerate(zip(elapsed_s(s), s.truth, strict=True))
            if label is not None and i % train_stride == 0
        ]
        for s in subjects
    }
    orders = ORDERS if shuffled is not None else ORDERS[:1]
    runs: dict[str, dict[str, dict[str, list[dict[str, float]]]]] = {o: {} for o in orders}
    by_phase: dict[str, dict[str, dict[str, list[Any]]]] = {o: {} for o in orders}
    kept: dict[str, dict[str, dict[str, list[str]]]] = {o: {} for o in orders}
    for seed in seeds:
        for k, subject in enumerate(subjects, 1):
            name = subject.subject
            if not any(subject.truth):
                progress(f"seed {seed} [{k}/{len(subjects)}] {name}: no labelled windows, skipped")
                continue
            others = [encoded[s.subject] for s in subjects if s.subject != name]
            if model is not None:
                general = model.copy()
            elif others:
                general = train_general(config, config_hash, others, seed=seed)
            else:
                general = None
            pairs = [pair for other in others for pair in other]
            fold = Fold(
                general,
                sorted({key for x, _ in pairs for key in x}),
                [x for x, _ in pairs],
                [y for _, y in pairs],
                [t for s in subjects if s.subject != name for t in elapsed[s.subject]],
            )
            for order in orders:
                session = subject if order == "natural" else shuffled(name, seed)  # type: ignore[misc]
                predicted = predict_session(
                    fold, session, config, seed, with_references=model is None
                )
                session_phases = phases.window_phases(session, config.labels, config.baseline_phase)
                scores = {}
                for protocol, states in predicted.items():
                    scored = _score_session(session, states)
                    if scored is None:
                        continue
                    scores[protocol] = scored
                    runs[order].setdefault(protocol, {}).setdefault(name, []).append(scored)
                    by_phase[order].setdefault(protocol, {}).setdefault(name, []).append(
                        phases.phase_accuracy(session.truth, states, session_phases)
                    )
                    if keep_predictions and seed == seeds[0]:
                        kept[order].setdefault(protocol, {})[name] = states
                progress(
                    f"seed {seed} [{k}/{len(subjects)}] {name} {order}: "
                    + "  ".join(f"{p} {s['balanced_accuracy']:.3f}" for p, s in scores.items())
                )
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
