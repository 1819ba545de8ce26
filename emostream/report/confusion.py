"""The confusion matrix of predicted states against labels."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True, slots=True)
class Confusion:
    """`counts[i, j]`: windows labelled `truth[i]` and predicted `predicted[j]`."""

    counts: np.ndarray
    truth: list[str]
    predicted: list[str]


def confusion(labels: Sequence[str], states: Sequence[str], classes: Sequence[str]) -> Confusion:
    """Rows: the classes, then any other label; columns: the classes, then any other
    predicted state (such as `unknown` before the model has learned)."""
    rows = [*classes, *sorted(set(labels) - set(classes))]
    columns = [*classes, *sorted(set(states) - set(classes))]
    table = pd.crosstab(
        pd.Categorical(list(labels), categories=rows),
        pd.Categorical(list(states), categories=columns),
        dropna=False,
    )
    return Confusion(table.to_numpy(dtype=np.int64), rows, columns)
