"""`emostream export`: a recording as CSV, EDF+ or XDF."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from emostream.formats.export import EXPORT_FORMATS, export
from emostream.formats.registry import FORMATS, read_recording

_SUFFIX = {"csv": "", "edf": ".edf", "xdf": ".xdf"}


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export",
        help="export a recording as CSV, EDF+ or XDF",
        description=(
            "Export a recording (emostream session, XDF, E4 export folder, EDF/BDF). csv: one "
            "file per stream plus features/predictions/events; edf: EDF+ with regular streams "
            "on their nominal-rate grid and markers as annotations (irregular streams such as "
            "RR are left out); xdf: XDF 1.0 with every stream."
        ),
    )
    p.add_argument("session", type=Path, metavar="SESSION", help="recording file or folder")
    p.add_argument(
        "--format", dest="to", choices=EXPORT_FORMATS, required=True, help="output format"
    )
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="PATH",
        help="output file (edf, xdf) or folder (csv); default: next to the input",
    )
    p.add_argument(
        "--input-format",
        choices=sorted(FORMATS),
        default=None,
        help="input format (default: detect)",
    )
    p.add_argument("--partial", action="store_true", help="export what a damaged recording holds")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    options: dict[str, Any] = {"partial": True} if args.partial else {}
    _, recording = read_recording(args.session, args.input_format, **options)
    src: Path = args.session
    out = args.out or src.with_name(f"{src.stem}-{args.to}{_SUFFIX[args.to]}")
    written = export(recording, out, args.to)
    print(f"wrote {len(written)} file(s) to {out}")
    return 0
