"""The report's figures, drawn from hand-made session data: what each one places where."""

from __future__ import annotations

import numpy as np
import pandas as pd

from emostream.report import figures

CLASSES = ("calm", "stress")


def _offsets(ax, label: str) -> np.ndarray:
    (collection,) = [c for c in ax.collections if c.get_label() == label]
    return np.asarray(collection.get_offsets())


def test_states_draws_labels_and_predictions_on_their_class_rows_in_minutes():
    predictions = pd.DataFrame(
        {
            "t_end": [160.0, 220.0, 280.0, 340.0],
            "state": ["calm", "stress", "unknown", "calm"],
            "p_calm": [0.8, 0.3, 0.5, 0.9],
            "p_stress": [0.2, 0.7, 0.5, 0.1],
            "confidence": [0.8, 0.7, 0.5, 0.9],
            "label": ["stress", "stress", None, "calm"],
        }
    )
    fig = figures.states(predictions, CLASSES, [], [], t0_s=100.0)
    bottom = fig.axes[1]
    rows = {name: i for i, name in enumerate([*CLASSES, "unknown"])}
    label = _offsets(bottom, "label")
    assert label[:, 0].tolist() == [1.0, 2.0, 4.0]  # minutes since the start, labelled only
    assert label[:, 1].tolist() == [rows["stress"], rows["stress"], rows["calm"]]
    predicted = _offsets(bottom, "predicted")
    assert predicted[:, 0].tolist() == [1.0, 2.0, 3.0, 4.0]
    assert predicted[:, 1].tolist() == [rows[s] for s in predictions["state"]]
