"""Three protocols on the same per-subject feature windows and folds.

- generic: a general model (trained leave-one-subject-out, or given) streams each subject
  without labels; only the subject's running baseline adapts.
- personalised: the same start, but each labelled segment is revealed when it ends and the
  model learns online; scoring is prequential (every window is scored before it is learned).
- batch: a scikit-learn random forest on the same encoded features and folds.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import balanced_accuracy_score, f1_score

from emostream.datasets.windows import SubjectWindows
from emostream.models.config import ModelConfig
from emostream.models.encoder import SessionEncoder
from emostream.models.online import OnlineStateModel

PROTOCOLS = ("generic", "personalised", "batch")

Encoded = list[tuple[dict[str, float], str]]


def encode_labelled(config: ModelConfig, subject: SubjectWindows, stride: int) -> Encoded:
    """The subject's labelled windows as learner input, every `stride`-th one."""
    encoder = SessionEncoder(config)
    out: Encoded = []
    for i, (fv, label) in enumerate(zip(subject.windows, subject.truth, strict=True)):
        x = encoder.encode(fv).x
        if label is not None and i % stride == 0:
            out.append((x, label))
    return out


def train_general(
    config: ModelConfig, config_hash: str, data: Sequence[Encoded], *, seed: int = 0
) -> OnlineStateModel:
    """A general model from several subjects' encoded windows, learned in shuffled order with
    every class drawn as often as the most frequent one (minority windows are repeated)."""
    model = OnlineStateModel(config, config_hash=config_hash)
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
    model.new_session()  # the general model is what each wearer's session starts from
    return model


def stream(model: OnlineStateModel, subject: SubjectWindows, *, labels: bool) -> list[str]:
    """Each window's predicted state, streaming the subject with or without label markers."""
    model.new_session()
    states = []
    for fv in subject.windows:
        if not labels:
            fv = dataclasses.replace(fv, markers=[])
        states.append(model.step(fv).prediction["state"])
    return states


def _score(truth: list[str | None], predicted: Sequence[str]) -> dict[str, float]:
    pairs = [(t, p) for t, p in zip(truth, predicted, strict=True) if t is not None]
    y_true = [t for t, _ in pairs]
    y_pred = [p for _, p in pairs]
    return {
        "balanced_accuracy": float(balanced_accuracy_score(y_true, y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, average="macro", labels=sorted(set(y_true)))),
        "n_windows": len(pairs),
    }


def summarise(per_subject: dict[str, dict[str, float]]) -> dict[str, Any]:
    """Mean and minimum over subjects (None when no subject could be scored)."""
    bacc = [s["balanced_accuracy"] for s in per_subject.values()]
    f1 = [s["macro_f1"] for s in per_subject.values()]
    return {
        "balanced_accuracy_mean": float(np.mean(bacc)) if bacc else None,
        "balanced_accuracy_min": float(np.min(bacc)) if bacc else None,
        "macro_f1_mean": float(np.mean(f1)) if f1 else None,
        "per_subject": per_subject,
    }


def _batch_predict(train: Encoded, test: list[dict[str, float]], seed: int) -> list[str]:
    names = sorted({k for x, _ in train for k in x})
    index = {n: i for i, n in enumerate(names)}

    def matrix(xs: Sequence[dict[str, float]]) -> np.ndarray:
        # an absent feature is the wearer's baseline (z = 0), as for the online learner
        out = np.zeros((len(xs), len(names)))
        for row, x in enumerate(xs):
            for k, v in x.items():
                if k in index:
                    out[row, index[k]] = v
        return out

    forest = RandomForestClassifier(n_estimators=100, min_samples_leaf=5, random_state=seed)
    forest.fit(matrix([x for x, _ in train]), [y for _, y in train])
    return [str(p) for p in forest.predict(matrix(test))]


def evaluate(
    subjects: Sequence[SubjectWindows],
    config: ModelConfig,
    *,
    config_hash: str,
    model: OnlineStateModel | None = None,
    train_stride: int = 5,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Scores of the three protocols: {protocol: summary with per-subject figures}."""
    encoded = {s.subject: encode_labelled(config, s, train_stride) for s in subjects}
    results: dict[str, dict[str, dict[str, float]]] = {p: {} for p in PROTOCOLS}
    for k, subject in enumerate(subjects, 1):
        name = subject.subject
        if not any(subject.truth):
            progress(f"[{k}/{len(subjects)}] {name}: no labelled windows, skipped")
            continue
        others = [encoded[s.subject] for s in subjects if s.subject != name]
        general = model.copy() if model is not None else train_general(config, config_hash, others)
        results["generic"][name] = _score(
            subject.truth, stream(general.copy(), subject, labels=False)
        )
        results["personalised"][name] = _score(subject.truth, stream(general, subject, labels=True))
        batch_train = [pair for other in others for pair in other]
        if len({label for _, label in batch_train}) > 1:
            test_x = encode_unlabelled(config, subject)
            batch = _batch_predict(batch_train, test_x, config.seed)
            results["batch"][name] = _score(subject.truth, batch)
        progress(
            f"[{k}/{len(subjects)}] {name}: "
            + "  ".join(
                f"{p} {results[p][name]['balanced_accuracy']:.3f}"
                for p in PROTOCOLS
                if name in results[p]
            )
        )
    return {p: summarise(results[p]) for p in PROTOCOLS}


def encode_unlabelled(config: ModelConfig, subject: SubjectWindows) -> list[dict[str, float]]:
    """Every window of the subject as learner input, streamed without label markers."""
    encoder = SessionEncoder(config)
    return [encoder.encode(dataclasses.replace(fv, markers=[])).x for fv in subject.windows]
