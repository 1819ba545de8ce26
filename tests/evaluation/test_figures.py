"""The PNGs of `evaluate --figures`: what each one draws is the summary it was given."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from emostream.evaluation import figures

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _run(mean: float, n_answers: float | None = None) -> dict:
    run = {"balanced_accuracy_mean": mean, "balanced_accuracy_ci95": [mean - 0.02, mean + 0.03]}
    if n_answers is not None:
        run["n_answers_mean"] = n_answers
    return run


def test_reliability_draws_each_calibrations_bins_and_scores(tmp_path: Path) -> None:
    calibration = {
        "before": {
            "bins": [{"confidence": 0.55, "accuracy": 0.5}, {"confidence": 0.9, "accuracy": 0.8}],
            "ece_pooled": 0.0771,
            "brier_pooled": 0.18854,
        },
        "after": {
            "bins": [{"confidence": 0.6, "accuracy": 0.58}, {"confidence": 0.85, "accuracy": 0.83}],
            "ece_pooled": 0.0362,
            "brier_pooled": 0.18421,
        },
    }
    path = tmp_path / "reliability.png"
    fig = figures.reliability(calibration, "Stress-Predict", path)
    assert path.read_bytes()[:8] == PNG_MAGIC
    ax = fig.axes[0]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["before (ECE 0.077, Brier 0.1885)", "after (ECE 0.036, Brier 0.1842)"]
    drawn = [line for line in ax.get_lines() if line.get_label() in legend]
    for line, when in zip(drawn, ("before", "after"), strict=True):
        bins = calibration[when]["bins"]
        np.testing.assert_array_equal(line.get_xdata(), [b["confidence"] for b in bins])
        np.testing.assert_array_equal(line.get_ydata(), [b["accuracy"] for b in bins])


def test_label_efficiency_draws_each_strategy_against_its_answers(tmp_path: Path) -> None:
    runs = {
        "generic": _run(0.70),
        "baseline-only": _run(0.71, 0.0),
        "uncertainty@2": _run(0.72, 1.5),
        "uncertainty@8": _run(0.74, 4.0),
        "random@2": _run(0.69, 2.0),
        "random@8": _run(0.705, 8.0),
        "scratch@8": _run(0.5, 8.0),
    }
    summary = {"runs": runs, "budgets": [2, 8], "comparisons": {}}
    path = tmp_path / "efficiency.png"
    fig = figures.label_efficiency(summary, "WESAD", path)
    assert path.read_bytes()[:8] == PNG_MAGIC
    ax = fig.axes[0]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["generic (95% CI)", "uncertainty", "random", "scratch"]  # periodic: not run
    points = {c.get_label(): c.lines[0] for c in ax.containers}
    uncertainty = points["uncertainty"]
    np.testing.assert_array_equal(uncertainty.get_xdata(), [0.0, 1.5, 4.0])
    np.testing.assert_array_equal(uncertainty.get_ydata(), [0.71, 0.72, 0.74])
    np.testing.assert_array_equal(points["scratch"].get_xdata(), [8.0])  # no baseline-only
    band = ax.patches[0]  # generic's CI, across the whole width
    ys = band.get_transform().transform(band.get_path().vertices)[:, 1]
    ys = ax.transData.inverted().transform(np.column_stack([np.zeros_like(ys), ys]))[:, 1]
    np.testing.assert_allclose([ys.min(), ys.max()], [0.68, 0.73])
