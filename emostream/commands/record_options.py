"""Recording options shared by the commands that run a pipeline (`run`, `demo`)."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from emostream.commands import arg_types

if TYPE_CHECKING:
    from emostream.pipeline.config import PipelineConfig
    from emostream.sinks.recorder import RecorderSink
    from emostream.sources.base import Source


def add_record_args(p: argparse.ArgumentParser) -> None:
    group = p.add_argument_group("recording")
    where = group.add_mutually_exclusive_group()
    where.add_argument(
        "--record",
        type=arg_types.folder,
        default=None,
        metavar="DIR",
        help="record the session into DIR (default: the pipeline's [record] dir, recordings/)",
    )
    where.add_argument("--no-record", action="store_true", help="do not record the session")
    group.add_argument(
        "--consent",
        default=None,
        metavar="SCOPES",
        help="consent the subject gave, e.g. record,research (scopes: record, research, share); "
        "required to record a live person",
    )


def is_live(config: PipelineConfig) -> bool:
    """True when a source is a device or LSL stream, i.e. a person may be recorded."""
    return any(transport not in ("synthetic", "recording") for transport in config.transports)


def recorder_from_args(
    args: argparse.Namespace,
    config: PipelineConfig,
    *,
    subject: str,
    say: Callable[[str], None],
    sources: Sequence[Source] = (),
    root: Path | None = None,
    consent: str = "",
) -> RecorderSink | None:
    """The session's recorder, or None when recording is off.

    On unless `--no-record`, or the pipeline sets `[record] enabled = false` (and no
    `--record DIR` asks for it). Refuses (UsageError) to record a live person without
    consent. The clock offsets that `sources` measure, and their timestamp checks, are recorded
    too. One wearer of many may have their own `root` folder and `consent` (else the
    command's).
    """
    root = root or args.record
    if args.no_record or (root is None and not config.record.enabled):
        return None
    from emostream.sinks.recorder import RecorderSink

    sink = RecorderSink.from_config(
        config.record,
        live=is_live(config),
        root=root,
        subject=subject,
        consent=consent or args.consent,
        consent_via="[[wearers]] consent" if consent else "--consent flag",
        on_error=lambda exc: say(f"recording error: {exc}"),
        on_open=lambda path: say(f"recording to {path}"),
    )
    if sources:
        sink.watch_sources(sources)
    return sink
