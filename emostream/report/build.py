"""A session's report: its sections and figures from a `ReportData`, written as one HTML file
(and each figure as PNG when asked)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from emostream.errors import UsageError
from emostream.evaluation.stats import balanced_accuracy
from emostream.report import figures, html
from emostream.report.confusion import confusion
from emostream.report.quality import stream_quality, window_quality
from emostream.report.session import ReportData
from emostream.report.timeline import Segment, requests, segments, with_prefix

DPI = 90


@dataclass(slots=True)
class Report:
    title: str
    sections: list[html.Section]
    #: figure name -> PNG bytes, in the order they appear
    pngs: dict[str, bytes] = field(default_factory=dict)
    #: key numbers for an index page: windows, labelled windows, balanced accuracy
    summary: dict[str, object] = field(default_factory=dict)

    def add(self, section: html.Section, name: str, figure: Figure) -> None:
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=DPI)
        self.pngs[name] = buffer.getvalue()
        section.figures.append(name)

    def page(self) -> str:
        return html.page(self.title, self.sections, self.pngs)


def build(data: ReportData) -> Report:
    report = Report(f"emostream session report: {data.name}", [])
    report.summary = {"windows": len(data.features)}
    t0_s = data.t0_s
    phases = segments(data.markers, data.t_end_s)
    report.sections = [
        html.Section(
            "session", "Session", "Provenance of this session.", parts=[html.key_values(data.meta)]
        ),
        _signals(report, data, t0_s),
        _features(report, data, phases, t0_s),
        _states(report, data, phases, t0_s),
        _quality(report, data, t0_s),
        _labels(data, t0_s),
    ]
    return report


def _signals(report: Report, data: ReportData, t0_s: float) -> html.Section:
    s = html.Section(
        "signals",
        "Signals",
        "Every regular stream as recorded, shrunk for display: each trace is the smallest and "
        "largest value in each of about 1500 time bins, so spikes and dropouts stay visible.",
    )
    if not any(not st.spec.is_markers and len(st.timestamps) for st in data.streams.values()):
        s.absent.append(data.absent.get("signals", "no raw signals in this session"))
    else:
        report.add(s, "signals", figures.signals(data.streams, t0_s))
    return s


def _features(
    report: Report, data: ReportData, phases: Sequence[Segment], t0_s: float
) -> html.Section:
    s = html.Section(
        "features",
        "Features over time",
        "Features at each window's end; the shading shows the protocol's phases (from the "
        "phase and condition markers). A gap in a line is a window where the feature could "
        "not be computed.",
    )
    if not len(data.features):
        s.absent.append("no windows: the session is shorter than one window")
    elif not figures.feature_columns(data.features):
        s.absent.append("no feature was computed in any window")
    else:
        report.add(s, "features", figures.features_over_time(data.features, phases, t0_s))
    if not phases:
        s.absent.append("no phase or condition markers: nothing to shade")
    return s


def _states(
    report: Report, data: ReportData, phases: Sequence[Segment], t0_s: float
) -> html.Section:
    s = html.Section(
        "states",
        "Predicted state",
        "Top: the model's class probabilities (stacked) and its confidence. Bottom: the "
        "predicted state of each window (red) over its label (grey squares) where one is "
        "known. Dashed lines: label requests (orange), self-report answers (green), drift "
        "alarms (purple). The confusion matrix counts labelled windows.",
    )
    predictions = data.predictions
    if predictions is None or not len(predictions):
        s.absent.append(data.absent.get("states", "no predictions in this session"))
        return s
    report.add(s, "states", figures.states(predictions, data.classes, data.markers, phases, t0_s))
    labelled = predictions[predictions["label"].notna()] if "label" in predictions else None
    if labelled is None or not len(labelled):
        s.absent.append("no window has a label: no confusion matrix")
        return s
    truth = labelled["label"].astype(str).tolist()
    predicted = labelled["state"].astype(str).tolist()
    matrix = confusion(truth, predicted, data.classes)
    report.add(s, "confusion", figures.confusion(matrix.counts, matrix.truth, matrix.predicted))
    rows = [[t, *map(int, row)] for t, row in zip(matrix.truth, matrix.counts, strict=True)]
    s.parts.append(
        html.table(["label \\ predicted", *matrix.predicted], rows, css_class="confusion")
    )
    truth_array, predicted_array = np.asarray(truth), np.asarray(predicted)
    accuracy = float(np.mean(truth_array == predicted_array))
    balanced = balanced_accuracy(truth_array, predicted_array)
    s.parts.append(
        html.table(
            ["labelled windows", "accuracy", "balanced accuracy"],
            [[len(truth), round(accuracy, 3), round(balanced, 3)]],
        )
    )
    report.summary |= {"labelled windows": len(truth), "balanced accuracy": round(balanced, 3)}
    return s


def _quality(report: Report, data: ReportData, t0_s: float) -> html.Section:
    s = html.Section(
        "quality",
        "Quality and coverage",
        "Per stream: samples received against what its nominal rate promises, gaps (a step "
        "of more than 5 sample periods and 0.5 s), samples with a non-finite time or value, "
        "timestamps that step back; per window: the share of the window each stream covered "
        "and how old its newest sample was when the window closed (staleness).",
    )
    rows = [
        stream_quality(key, st.spec.kind, st.spec.rate_hz, st.timestamps, st.data)
        for key, st in data.streams.items()
        if not st.spec.is_markers
    ]
    if rows:
        s.parts.append(
            html.table(
                [
                    "stream",
                    "kind",
                    "rate (Hz)",
                    "samples",
                    "span (s)",
                    "completeness",
                    "gaps",
                    "gap time (s)",
                    "non-finite",
                    "out of order",
                ],
                [
                    [
                        q.key,
                        q.kind,
                        q.rate_hz,
                        q.n_samples,
                        round(q.span_s, 1),
                        q.completeness,
                        q.n_gaps,
                        round(q.gap_s, 1),
                        q.n_nonfinite,
                        q.n_out_of_order,
                    ]
                    for q in rows
                ],
                css_class="streams",
            )
        )
    else:
        s.absent.append(data.absent.get("signals", "no raw signals in this session"))
    windows = window_quality(data.features) if len(data.features) else []
    if windows:
        s.parts.append(
            html.table(
                [
                    "stream",
                    "coverage mean",
                    "coverage min",
                    "staleness mean (s)",
                    "staleness max (s)",
                ],
                [
                    [w.key, w.coverage_mean, w.coverage_min, w.staleness_mean_s, w.staleness_max_s]
                    for w in windows
                ],
            )
        )
    if any(c.startswith("coverage_") for c in data.features.columns):
        report.add(s, "coverage", figures.coverage(data.features, t0_s))
    else:
        s.absent.append("the windows carry no coverage columns")
    repairs = {k: v for k, v in data.timestamp_repairs.items() if isinstance(v, dict)}
    if repairs:
        fields = ("n_nonfinite", "n_jumps", "n_repaired", "n_dropped")
        s.parts.append(
            html.table(
                ["source (timestamps repaired live)", *fields],
                [[k, *(v.get(f) for f in fields)] for k, v in repairs.items()],
            )
        )
    return s


def _labels(data: ReportData, t0_s: float) -> html.Section:
    s = html.Section(
        "labels",
        "Label requests, answers and drift",
        "Each label request the model made, and the first self-report that followed it "
        "before the next request; self-reports at any other time; drift alarms. Times in "
        "seconds since the session's start.",
    )
    asked = requests(data.markers)
    if asked:
        s.parts.append(
            html.table(
                ["request (s)", "request", "answered after (s)", "answer"],
                [
                    [
                        round(r.t_s - t0_s, 1),
                        r.text,
                        None if r.answer_t_s is None else round(r.answer_t_s - r.t_s, 1),
                        r.answer or "unanswered",
                    ]
                    for r in asked
                ],
            )
        )
        n = sum(r.answer is not None for r in asked)
        s.parts.append(f'<p class="note">{n} of {len(asked)} requests answered.</p>')
    else:
        s.absent.append("the model made no label request")
    answered = {r.answer_t_s for r in asked}
    others = [(t, m) for t, m in with_prefix(data.markers, "report") if t not in answered]
    if others:
        s.parts.append(
            html.table(["self-report (s)", "marker"], [[round(t - t0_s, 1), m] for t, m in others])
        )
    drift = with_prefix(data.markers, "drift")
    if drift:
        s.parts.append(
            html.table(["drift alarm (s)", "marker"], [[round(t - t0_s, 1), m] for t, m in drift])
        )
    else:
        s.absent.append("no drift alarm")
    return s


def write(report: Report, out: Path, png_dir: Path | None = None) -> list[Path]:
    """The HTML file at `out`, and each figure as `png_dir/<name>.png`; the files written."""
    written = []
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(report.page(), encoding="utf-8")
        written.append(out)
        if png_dir is not None:
            png_dir.mkdir(parents=True, exist_ok=True)
            for name, png in report.pngs.items():
                path = png_dir / f"{name}.png"
                path.write_bytes(png)
                written.append(path)
    except OSError as exc:
        raise UsageError(
            f"{exc.filename or out}: cannot write ({exc.strerror or exc}); choose another --out"
        ) from None
    return written
