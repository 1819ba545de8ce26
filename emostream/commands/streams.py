"""`emostream streams`: list visible LSL streams."""

from __future__ import annotations

import argparse
import json

import pylsl

from emostream.commands import arg_types
from emostream.core.lslinfo import info_to_spec


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "streams",
        help="list the LSL streams that are visible",
        description="List visible LSL streams with type, rate, channels and source_id.",
    )
    p.add_argument(
        "--timeout",
        type=arg_types.seconds,
        default=2.0,
        metavar="S",
        help="how long to wait for outlets to answer (default 2 s)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object per stream")
    p.set_defaults(func=run)


def list_streams(timeout_s: float) -> list[dict[str, object]]:
    rows = []
    for info in pylsl.resolve_streams(timeout_s):
        spec = info_to_spec(info)
        rows.append(
            {
                "name": spec.name,
                "type": spec.kind,
                "rate_hz": spec.rate_hz,
                "channels": info.channel_count(),
                "format": spec.channel_format,
                "source_id": info.source_id(),
                "hostname": info.hostname(),
            }
        )
    return sorted(rows, key=lambda r: (str(r["type"]), str(r["name"])))


def run(args: argparse.Namespace) -> int:
    rows = list_streams(args.timeout)
    if args.json:
        for row in rows:
            print(json.dumps(row))
        return 0
    if not rows:
        print(f"no LSL streams visible (waited {args.timeout:g} s)")
        return 0
    print(f"{'name':24s} {'type':10s} {'rate':>10s} {'ch':>4s}  source_id")
    for r in rows:
        rate = "irregular" if r["rate_hz"] == 0 else f"{r['rate_hz']:g} Hz"
        print(
            f"{r['name']!s:24s} {r['type']!s:10s} {rate:>10s} {r['channels']!s:>4s}  {r['source_id']}"
        )
    return 0
