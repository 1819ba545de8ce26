"""Prequential balanced accuracy: the mean recall, over the true classes seen, of the labelled
windows scored so far (river's `metrics.BalancedAccuracy`, whose package import alone costs
a start-up most of a second; tests/models/test_prequential.py checks it against river's)."""

from __future__ import annotations


class BalancedAccuracy:
    """Weighted confusion counts of (true, predicted) labels and their balanced accuracy."""

    def __init__(self) -> None:
        self.counts: dict[str, dict[str, float]] = {}  # true label → predicted label → weight
        self.n_samples = 0

    def update(self, y_true: str, y_pred: str, w: float = 1.0) -> None:
        row = self.counts.setdefault(y_true, {})
        row[y_pred] = row.get(y_pred, 0.0) + w
        self.n_samples += 1

    @property
    def total_weight(self) -> float:
        """Weight of every window scored."""
        return sum(sum(row.values()) for row in self.counts.values())

    def get(self) -> float:
        """Mean recall over the true classes seen (0 before any window)."""
        recalls = [
            row.get(label, 0.0) / total
            for label, row in self.counts.items()
            if (total := sum(row.values())) > 0
        ]
        return sum(recalls) / len(recalls) if recalls else 0.0
