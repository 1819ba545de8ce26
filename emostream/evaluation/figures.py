"""PNG figures of the held-out measurements: label efficiency and reliability diagram."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from emostream.evaluation.active import STRATEGIES


def label_efficiency(summary: dict[str, Any], title: str, path: Path) -> Figure:
    """Balanced accuracy on the later windows against the mean answers a session used, per
    strategy, with the 95% CIs as error bars and generic as a band."""
    runs = summary["runs"]
    fig = Figure(figsize=(6.4, 4.2))
    ax = fig.subplots()
    generic = runs["generic"]
    low, high = generic["balanced_accuracy_ci95"]
    ax.axhspan(low, high, color="0.85", label="generic (95% CI)")
    ax.axhline(generic["balanced_accuracy_mean"], color="0.4", lw=1)
    for strategy in STRATEGIES:
        names = [f"{strategy}@{b}" for b in summary["budgets"] if f"{strategy}@{b}" in runs]
        if not names:  # a strategy not run
            continue
        if strategy != "scratch" and "baseline-only" in runs:
            names = ["baseline-only", *names]
        xs = [runs[n].get("n_answers_mean", 0.0) for n in names]
        ys = [runs[n]["balanced_accuracy_mean"] for n in names]
        err = [
            [y - runs[n]["balanced_accuracy_ci95"][0] for n, y in zip(names, ys, strict=True)],
            [runs[n]["balanced_accuracy_ci95"][1] - y for n, y in zip(names, ys, strict=True)],
        ]
        ax.errorbar(xs, ys, yerr=err, marker="o", capsize=3, label=strategy)
    ax.set_xlabel("answers used per session (mean)")
    ax.set_ylabel("balanced accuracy, later windows")
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return fig


def reliability(calibration: dict[str, Any], title: str, path: Path) -> Figure:
    """Accuracy against mean confidence per bin, before and after calibration; the legend
    gives each one's pooled ECE and Brier score."""
    fig = Figure(figsize=(4.8, 4.6))
    ax = fig.subplots()
    ax.plot([0, 1], [0, 1], color="0.6", lw=1, ls="--")
    for when in ("before", "after"):
        bins = calibration[when]["bins"]
        ax.plot(
            [b["confidence"] for b in bins],
            [b["accuracy"] for b in bins],
            marker="o",
            label=(
                f"{when} (ECE {calibration[when]['ece_pooled']:.3f}, "
                f"Brier {calibration[when]['brier_pooled']:.4f})"
            ),
        )
    ax.set_xlabel("confidence (top-class probability)")
    ax.set_ylabel("accuracy")
    ax.set_title(title)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return fig
