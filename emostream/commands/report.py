"""`emostream report`: a self-contained HTML report with figures, per session."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report",
        help="write a self-contained HTML report with figures for a session",
        description=(
            "Write one HTML file that opens offline (figures embedded): the raw signals, "
            "features over time with phase shading, the predicted state against labels and a "
            "confusion matrix, quality and coverage per stream, label requests, answers and "
            "drift alarms, and the session's provenance. SESSION is a recorded session folder "
            "or an `emostream process` output folder; a folder of sessions gets one report "
            "each plus index.html in the --out folder."
        ),
    )
    p.add_argument(
        "session", type=Path, metavar="SESSION|DIR", help="session folder, or a folder of them"
    )
    p.add_argument(
        "--out",
        type=Path,
        required=True,
        metavar="PATH",
        help="the report file (one session) or folder (a folder of sessions)",
    )
    p.add_argument(
        "--png", type=Path, default=None, metavar="DIR", help="also write each figure as PNG here"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from emostream.errors import UsageError
    from emostream.report.build import build, write
    from emostream.report.html import Link, Section, page, table
    from emostream.report.session import load, session_folders

    folders = session_folders(args.session)
    if folders == [args.session]:
        if args.out.is_dir():
            raise UsageError(f"--out {args.out}: a folder; name the report file, e.g. report.html")
        report = build(load(args.session))
        write(report, args.out, args.png)
        print(f"wrote {args.out}", file=sys.stderr)
        return 0
    if args.out.suffix.lower() in (".html", ".htm"):
        raise UsageError(
            f"--out {args.out}: {args.session} holds {len(folders)} sessions; --out names the "
            "folder for their reports and index.html"
        )
    rows = []
    for folder in folders:
        report = build(load(folder))
        name = f"{folder.name}.html"
        write(report, args.out / name, args.png / folder.name if args.png else None)
        rows.append([Link(folder.name, name), *(report.summary.get(k) for k in _INDEX[1:])])
        print(f"wrote {args.out / name}", file=sys.stderr)
    index = Section("sessions", "Sessions", "One report per session.", parts=[table(_INDEX, rows)])
    (args.out / "index.html").write_text(
        page(f"emostream reports: {args.session.name}", [index], {})
    )
    print(f"wrote {args.out / 'index.html'}", file=sys.stderr)
    return 0


_INDEX = ("session", "windows", "labelled windows", "balanced accuracy")
