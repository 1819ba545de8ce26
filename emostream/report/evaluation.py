"""Reports of a leave-one-subject-out evaluation: one per held-out subject (its windows, and
the generic model's predicted state against the labels) plus an index with summary figures."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from emostream import __version__
from emostream.datasets.windows import SubjectWindows
from emostream.errors import UsageError
from emostream.report import figures, html
from emostream.report.build import Report, build, write
from emostream.report.session import ReportData

#: the protocol whose predicted states a subject's report shows
PROTOCOL = "generic"


def subject_data(
    subject: SubjectWindows,
    states: Sequence[str] | None,
    classes: Sequence[str],
    meta: Mapping[str, str],
) -> ReportData:
    """One held-out subject as report data: windows, markers, predicted states, labels."""
    features = pd.DataFrame([fv.row() for fv in subject.windows])
    data = ReportData(
        name=subject.subject,
        meta={"subject (pseudonym)": subject.subject, **meta},
        features=features,
        classes=tuple(classes),
        markers=sorted(m for fv in subject.windows for m in fv.markers),
    )
    data.absent["signals"] = "evaluate keeps each subject's feature windows only, not the signals"
    if states is None:
        data.absent["states"] = (
            f"no {PROTOCOL} predictions for this subject (fewer than two labelled classes)"
        )
    else:
        data.predictions = pd.DataFrame(
            {
                "t_end": [fv.t_end for fv in subject.windows],
                "state": list(states),
                "label": list(subject.truth),
            }
        )
    return data


def write_evaluation(
    out_dir: Path, subjects: Sequence[SubjectWindows], scores: dict[str, Any], name: str
) -> Path:
    """`out_dir/<subject>.html` per subject and `out_dir/index.html`; returns the index.

    `scores` is `evaluate`'s result with `keep_predictions`, merged with the held-out
    measurements when they ran (their reliability and label-efficiency figures are reused)."""
    from emostream.evaluation import figures as evaluation_figures

    natural = scores["predictions"]["natural"].get(PROTOCOL, {})
    meta = {
        "dataset": name,
        "pipeline": scores["pipeline"]["name"],
        "config hash": scores["pipeline"]["config_hash"],
        "protocol": f"{PROTOCOL}, natural order, seed {scores['seeds'][0]} (leave-one-subject-out)",
        "software": f"emostream {__version__}",
    }
    rows = []
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--report {out_dir}: cannot create ({exc.strerror})") from None
    for subject in subjects:
        data = subject_data(subject, natural.get(subject.subject), scores["classes"], meta)
        report = build(data)
        report.title = f"emostream evaluation report: {name}, subject {subject.subject}"
        write(report, out_dir / f"{subject.subject}.html")
        rows.append(
            [
                html.Link(subject.subject, f"{subject.subject}.html"),
                len(subject.windows),
                report.summary.get("labelled windows"),
                report.summary.get("balanced accuracy"),
            ]
        )
        print(f"wrote {out_dir / subject.subject}.html", file=sys.stderr, flush=True)
    summary = Report(f"emostream evaluation report: {name}", [])
    section = html.Section(
        "subjects",
        "Subjects",
        f"Each subject's report shows its feature windows and the {PROTOCOL} model's predicted "
        "state (trained on the other subjects) against its labels. Balanced accuracy here is "
        "over the windows of one seed; the summary figure averages the seeds.",
        parts=[html.table(["subject", "windows", "labelled windows", "balanced accuracy"], rows)],
    )
    summary.sections.append(section)
    phases = scores.get("phases", {}).get("natural", {})
    if phases:
        summary.sections.append(phase_section(phases))
    figs = html.Section(
        "summary",
        "Summary figures",
        "Balanced accuracy of every protocol and reference per subject (natural order, mean "
        "over seeds); with --active and --outputs, label efficiency and reliability.",
    )
    per_protocol = {
        protocol: {s: v["balanced_accuracy"] for s, v in result["per_subject"].items()}
        for protocol, result in scores["natural"].items()
        if protocol != "comparisons" and result.get("per_subject")
    }
    if per_protocol:
        summary.add(figs, "scores", figures.subject_scores(per_protocol))
    for order, active in scores.get("active", {}).items():
        path = out_dir / f"label-efficiency-{order}.png"
        evaluation_figures.label_efficiency(active, f"{name}, {order} order", path)
        summary.pngs[path.stem] = path.read_bytes()
        figs.figures.append(path.stem)
    if "outputs" in scores:
        path = out_dir / "reliability.png"
        evaluation_figures.reliability(scores["outputs"]["calibration"], name, path)
        summary.pngs[path.stem] = path.read_bytes()
        figs.figures.append(path.stem)
    summary.sections.append(figs)
    index = out_dir / "index.html"
    write(summary, index)
    return index


def phase_section(by_protocol: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> html.Section:
    """Accuracy within each protocol phase (natural order), one column per protocol."""
    from emostream.evaluation.phases import phase_table

    names, rows = phase_table(by_protocol)
    return html.Section(
        "phases",
        "Accuracy within each phase",
        "The share of each protocol phase's labelled windows predicted as its class, mean over "
        "subjects (natural order): where the model and each reference err.",
        parts=[html.table(["phase", "class", "windows", "subjects", *names], rows)],
    )
