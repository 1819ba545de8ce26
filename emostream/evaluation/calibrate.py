"""A general model's calibration, cross-fitted on the subjects it is trained on.

The subjects are dealt into `CALIBRATION_FOLDS` seeded folds. A model trained on the other
folds streams each fold's sessions as a new wearer's (generic protocol), and the top-label
calibration is fitted on all these out-of-fold outputs. Each inner model sees seven eighths
of the subjects, so its errors resemble those of the model trained on all of them (with
four folds, models of fewer subjects were more often confidently wrong, and the fit
softened the full model too much), and every subject's windows count once.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence

from emostream.datasets.windows import SubjectWindows
from emostream.evaluation.outputs import labelled_probas
from emostream.evaluation.protocols import Encoded, Progress, train_general
from emostream.evaluation.streaming import stream_session
from emostream.models.calibration import fit_top_label
from emostream.models.config import ModelConfig
from emostream.models.online import OnlineStateModel

CALIBRATION_FOLDS = 8


def calibrated_general(
    config: ModelConfig,
    config_hash: str,
    subjects: Sequence[SubjectWindows],
    encoded: Mapping[str, Encoded],
    *,
    seed: int = 0,
    progress: Progress = lambda _: None,
) -> OnlineStateModel:
    """The general model of `subjects`, with the calibration of its inner models'
    out-of-fold outputs (none with fewer than 2 subjects)."""
    general = train_general(config, config_hash, [encoded[s.subject] for s in subjects], seed=seed)
    dealt = [s for s in subjects if encoded[s.subject]]
    random.Random(seed).shuffle(dealt)
    folds = [
        fold for fold in (dealt[i::CALIBRATION_FOLDS] for i in range(CALIBRATION_FOLDS)) if fold
    ]
    probas: list[dict[str, float]] = []
    labels: list[str] = []
    for k, fold in enumerate(folds if len(folds) > 1 else (), 1):
        names = {s.subject for s in fold}
        fit_on = [encoded[s.subject] for s in dealt if s.subject not in names]
        inner = train_general(config, config_hash, fit_on, seed=seed)
        for subject in fold:
            streamed = stream_session(inner.copy(), subject, protocol="generic")
            p, y = labelled_probas(streamed, subject.truth)
            probas += p
            labels += y
        progress(f"calibration fold {k}/{len(folds)}: {', '.join(sorted(names))}")
    general.calibration = fit_top_label(probas, labels)
    return general
