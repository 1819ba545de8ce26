"""The `emostream` command. Each subcommand lives in `emostream/commands/<name>.py` and exposes
`add_parser(subparsers)`; the parser it adds sets `func(args) -> int`."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from emostream import __version__
from emostream.errors import EmostreamError, UsageError

#: modules under emostream.commands, in the order `--help` lists them
COMMANDS = (
    "demo",
    "run",
    "process",
    "replay",
    "export",
    "simulate",
    "streams",
    "devices",
    "stream",
    "train",
    "evaluate",
    "report",
)


class _Parser(argparse.ArgumentParser):
    """argparse exits with status 2 on usage errors already; keep its messages short."""


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="emostream",
        description="Live emotional-state estimation from wearable physiology.",
    )
    parser.add_argument("--version", action="version", version=f"emostream {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name in COMMANDS:
        importlib.import_module(f"emostream.commands.{name}").add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    if any("\x00" in arg for arg in argv):  # no path or value holds one; only a caller can
        parser.print_usage(sys.stderr)
        print("emostream: error: an argument holds a NUL byte", file=sys.stderr)
        return 2
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # a usage error (argparse printed it) returns 2; --help exits
        if exc.code in (0, None):
            raise
        return 2
    args.argv = argv  # `run --workers` starts workers with the same command line
    try:
        return int(args.func(args) or 0)
    except UsageError as exc:
        print(f"emostream {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except EmostreamError as exc:
        print(f"emostream {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"emostream {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
