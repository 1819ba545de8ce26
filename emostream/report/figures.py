"""The report's figures: pure functions from session data to a matplotlib Figure (one per
section). Times are drawn in minutes since the session's start."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from emostream.formats.base import RecordedStream
from emostream.report.decimate import envelope
from emostream.report.timeline import Marker, Segment, answers, with_prefix

#: points per signal trace: about one per pixel column of the figure
ENVELOPE_BINS = 1500
#: features drawn first when present, in this order (others follow up to MAX_FEATURES)
PREFERRED = (
    "hr_bpm",
    "hr_device_bpm",
    "hrv_rmssd_ms",
    "eda_scl_us",
    "eda_scr_count",
    "rsp_rate_bpm",
    "temp_c",
    "eeg_faa",
    "face_valence",
    "voice_pitch_hz",
    "text_sentiment",
)
MAX_FEATURES = 8
WIDTH_IN = 11.0
_PALETTE = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3")


def _minutes(t_s: np.ndarray | pd.Series | float, t0_s: float) -> np.ndarray:
    return (np.asarray(t_s, dtype=np.float64) - t0_s) / 60.0


def _margins(fig: Figure, top_in: float, bottom_in: float = 0.5, hspace: float = 0.15) -> None:
    """Fixed margins (in inches at the top and bottom): far cheaper than tight_layout, which
    draws the figure once more to measure it."""
    height_in = fig.get_figheight()
    fig.subplots_adjust(
        left=0.125,
        right=0.985,
        top=1 - top_in / height_in,
        bottom=bottom_in / height_in,
        hspace=hspace,
    )


def phase_colours(segments: Sequence[Segment]) -> dict[str, str]:
    names = sorted({s.name for s in segments})
    return {name: _PALETTE[i % len(_PALETTE)] for i, name in enumerate(names)}


def _shade(ax: Axes, segments: Sequence[Segment], t0_s: float, colours: Mapping[str, str]) -> None:
    for s in segments:
        ax.axvspan(
            *_minutes(np.array([s.t_from_s, s.t_to_s]), t0_s),
            color=colours[s.name],
            alpha=0.15,
            lw=0,
        )


def _phase_legend(fig: Figure, colours: Mapping[str, str]) -> None:
    if not colours:
        return
    from matplotlib.patches import Patch

    handles = [Patch(color=c, alpha=0.3, label=name) for name, c in colours.items()]
    fig.legend(handles=handles, loc="upper right", ncols=len(handles), fontsize=8, frameon=False)


def signals(streams: Mapping[str, RecordedStream], t0_s: float) -> Figure:
    """Each regular stream as min/max envelopes per channel, one panel per stream."""
    regular = {k: s for k, s in streams.items() if not s.spec.is_markers and len(s.timestamps)}
    fig = Figure(figsize=(WIDTH_IN, 0.4 + 1.3 * len(regular)))
    axes = fig.subplots(len(regular), 1, sharex=True, squeeze=False)[:, 0]
    for ax, (key, stream) in zip(axes, regular.items(), strict=True):
        env = envelope(stream.timestamps, stream.data, ENVELOPE_BINS)
        x = _minutes(env.t_s, t0_s)
        for c, label in enumerate(stream.spec.channels):
            colour = _PALETTE[c % len(_PALETTE)]
            ax.fill_between(x, env.low[:, c], env.high[:, c], color=colour, lw=0.4, label=label)
        unit = stream.spec.units[0] if stream.spec.units else ""
        ax.set_ylabel(f"{key}\n{unit}", fontsize=8)
        ax.tick_params(labelsize=7)
        if len(stream.spec.channels) > 1:
            ax.legend(fontsize=6, loc="upper right", ncols=len(stream.spec.channels))
    axes[-1].set_xlabel("minutes since start")
    _margins(fig, top_in=0.1)
    return fig


def feature_columns(features: pd.DataFrame) -> list[str]:
    """The features drawn: the preferred ones present, then others, at most MAX_FEATURES."""
    skip = ("t_start", "t_end", "quality_", "coverage_", "staleness_", "recording")
    present = [c for c in features.columns if features[c].notna().any()]
    others = [
        c
        for c in present
        if c not in PREFERRED
        and not c.startswith(skip)
        and pd.api.types.is_numeric_dtype(features[c])
    ]
    return ([c for c in PREFERRED if c in present] + others)[:MAX_FEATURES]


def features_over_time(features: pd.DataFrame, segments: Sequence[Segment], t0_s: float) -> Figure:
    """Selected features at each window's end, on the phase shading."""
    columns = feature_columns(features)
    colours = phase_colours(segments)
    fig = Figure(figsize=(WIDTH_IN, 0.6 + 1.2 * len(columns)))
    axes = fig.subplots(len(columns), 1, sharex=True, squeeze=False)[:, 0]
    x = _minutes(features["t_end"], t0_s)
    for ax, column in zip(axes, columns, strict=True):
        _shade(ax, segments, t0_s, colours)
        ax.plot(x, features[column].to_numpy(dtype=np.float64), lw=1.0, color="0.15")
        ax.set_ylabel(column, fontsize=7, rotation=0, ha="right", va="center")
        ax.tick_params(labelsize=7)
    axes[-1].set_xlabel("minutes since start (window end)")
    _phase_legend(fig, colours)
    _margins(fig, top_in=0.3)
    return fig


def states(
    predictions: pd.DataFrame,
    classes: Sequence[str],
    markers: Sequence[Marker],
    segments: Sequence[Segment],
    t0_s: float,
) -> Figure:
    """Class probabilities and confidence above; predicted state against the label below,
    with label requests, answers and drift alarms as vertical lines."""
    fig = Figure(figsize=(WIDTH_IN, 4.6))
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(1.2, 1.0))
    x = _minutes(predictions["t_end"], t0_s)
    with_p = [c for c in classes if f"p_{c}" in predictions]
    probs = [predictions[f"p_{c}"].fillna(0.0).to_numpy(dtype=np.float64) for c in with_p]
    if probs:
        top.stackplot(x, *probs, labels=with_p, colors=_PALETTE[: len(with_p)], alpha=0.7)
    if "confidence" in predictions:
        top.plot(
            x,
            predictions["confidence"].to_numpy(dtype=np.float64),
            color="k",
            lw=1,
            label="confidence",
        )
    top.set_ylim(0, 1)
    top.set_ylabel("probability", fontsize=8)
    if probs or "confidence" in predictions:
        top.legend(fontsize=7, loc="upper left", ncols=len(classes) + 1)
    else:
        top.text(
            0.5,
            0.5,
            "no class probabilities in these predictions",
            ha="center",
            transform=top.transAxes,
        )
    names = [*classes, "unknown"]
    index = {name: i for i, name in enumerate(names)}
    _shade(bottom, segments, t0_s, phase_colours(segments))
    if "label" in predictions:
        known = predictions["label"].notna()
        bottom.scatter(
            x[known.to_numpy()],
            [index.get(str(v), len(names) - 1) for v in predictions["label"][known]],
            s=40,
            marker="s",
            color="0.75",
            label="label",
            zorder=2,
        )
    bottom.scatter(
        x,
        [index.get(str(v), len(names) - 1) for v in predictions["state"]],
        s=8,
        color="#c44e52",
        label="predicted",
        zorder=3,
    )
    bottom.set_yticks(range(len(names)), names, fontsize=8)
    for ax in (top, bottom):
        for kind, colour, found in (
            ("label request", "#dd8452", with_prefix(markers, "label-request")),
            ("answer", "#55a868", answers(markers)),
            ("drift", "#8172b3", with_prefix(markers, "drift")),
        ):
            for i, (t_s, _) in enumerate(found):
                ax.axvline(
                    _minutes(t_s, t0_s),
                    color=colour,
                    lw=1.2,
                    ls="--",
                    label=kind if ax is bottom and i == 0 else None,
                )
    bottom.legend(fontsize=7, loc="center right", ncols=5)
    bottom.set_xlabel("minutes since start (window end)")
    _margins(fig, top_in=0.1, hspace=0.1)
    return fig


def confusion(matrix: np.ndarray, truth: Sequence[str], predicted: Sequence[str]) -> Figure:
    """Counts of each (label, predicted state) pair, with each row's share as colour."""
    fig = Figure(figsize=(1.6 + 0.9 * len(predicted), 1.2 + 0.7 * len(truth)))
    ax = fig.subplots()
    totals = matrix.sum(axis=1, keepdims=True)
    share = np.divide(matrix, totals, out=np.zeros(matrix.shape), where=totals > 0)
    ax.imshow(share, cmap="Blues", vmin=0, vmax=1, aspect="auto")
    for (i, j), n in np.ndenumerate(matrix):
        ax.text(
            j,
            i,
            str(n),
            ha="center",
            va="center",
            color="white" if share[i, j] > 0.6 else "black",
            fontsize=9,
        )
    ax.set_xticks(range(len(predicted)), predicted, fontsize=8)
    ax.set_yticks(range(len(truth)), truth, fontsize=8)
    ax.set_xlabel("predicted state")
    ax.set_ylabel("label")
    fig.tight_layout()
    return fig


def coverage(features: pd.DataFrame, t0_s: float) -> Figure:
    """Each stream's coverage per window (0..1) as one row of colour."""
    columns = [c for c in features.columns if c.startswith("coverage_")]
    fig = Figure(figsize=(WIDTH_IN, 0.9 + 0.35 * len(columns)))
    ax = fig.subplots()
    x = _minutes(features["t_end"], t0_s)
    values = features[columns].to_numpy(dtype=np.float64).T
    extent = (
        float(x.min()),
        float(x.max()) if len(x) > 1 else float(x.min()) + 1,
        len(columns) - 0.5,
        -0.5,
    )
    image = ax.imshow(
        values, aspect="auto", cmap="RdYlGn", vmin=0, vmax=1, extent=extent, interpolation="nearest"
    )
    ax.set_yticks(range(len(columns)), [c.removeprefix("coverage_") for c in columns], fontsize=8)
    ax.set_xlabel("minutes since start (window end)")
    fig.colorbar(image, ax=ax, label="coverage", fraction=0.03)
    fig.tight_layout()
    return fig


def subject_scores(per_protocol: Mapping[str, Mapping[str, float]]) -> Figure:
    """Balanced accuracy per subject, one marker per protocol or reference."""
    subjects = sorted({s for scores in per_protocol.values() for s in scores})
    fig = Figure(figsize=(min(WIDTH_IN, 2.5 + 0.5 * len(subjects)), 3.6))
    ax = fig.subplots()
    for k, (protocol, scores) in enumerate(per_protocol.items()):
        x = [subjects.index(s) for s in scores]
        ax.scatter(
            x,
            list(scores.values()),
            label=protocol,
            s=28,
            color=_PALETTE[k % len(_PALETTE)],
            zorder=3,
        )
    ax.set_xticks(range(len(subjects)), subjects, fontsize=8, rotation=90)
    ax.set_ylim(0, 1.02)
    ax.set_ylabel("balanced accuracy")
    ax.grid(axis="y", color="0.9")
    ax.legend(fontsize=7, loc="lower left", ncols=3)
    fig.tight_layout()
    return fig
