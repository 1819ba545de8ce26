"""`emostream replay`: publish a recording as LSL outlets, paced on one virtual clock."""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from emostream.commands import arg_types
from emostream.commands.dashboard_options import add_dashboard_args, start_dashboard
from emostream.core.chunk import Chunk
from emostream.formats.base import Recording
from emostream.formats.registry import FORMATS, read_recording
from emostream.sinks.lsl import END_LINGER_S, StreamOutlets
from emostream.sources.recording import RecordingSource


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "replay",
        help="publish a recording as LSL outlets",
        description=(
            "Publish every stream of a recording (emostream session, XDF, E4 export folder, "
            "EDF/BDF) as LSL outlets with its original meta-data and source_ids. All streams "
            "share one virtual clock paced against absolute target times, so long replays do "
            "not drift; timestamps are moved onto this machine's LSL clock."
        ),
    )
    p.add_argument("input", type=Path, metavar="INPUT", help="recording file or folder")
    p.add_argument(
        "--speed",
        type=arg_types.speed,
        default=1.0,
        metavar="X",
        help="multiple of real time (default 1)",
    )
    p.add_argument("--loop", action="store_true", help="start again at the end, until Ctrl-C")
    p.add_argument(
        "--start",
        type=arg_types.seconds_or_zero,
        default=0.0,
        metavar="S",
        help="skip the first S seconds",
    )
    p.add_argument(
        "--format", choices=sorted(FORMATS), default=None, help="input format (default: detect)"
    )
    p.add_argument(
        "--partial",
        action="store_true",
        help="replay what a damaged recording holds before the damage",
    )
    add_dashboard_args(p)
    p.set_defaults(func=run)


def open_outlets(recording: Recording) -> dict[str, StreamOutlets]:
    """One outlet per stream, keyed by source_id, with the stream's device meta-data."""
    devices: dict[str, dict[str, str]] = recording.meta.get("devices") or {}
    outlets: dict[str, StreamOutlets] = {}
    for key, stream in recording.streams.items():
        device = devices.get(key, {})
        outlets[stream.spec.source_id] = StreamOutlets(
            [stream.spec],
            manufacturer=device.get("manufacturer", ""),
            model=device.get("model", ""),
        )
    return outlets


async def publish(
    source: RecordingSource,
    outlets: dict[str, StreamOutlets],
    on_chunk: Callable[[Chunk], None] | None = None,
) -> int:
    """Push every chunk of `source` to its outlet; returns the number of samples pushed."""
    n = 0
    async for event in source.events():
        if isinstance(event, Chunk):
            outlets[event.spec.source_id].push(event)
            n += len(event)
            if on_chunk is not None:
                on_chunk(event)
    return n


def run(args: argparse.Namespace) -> int:
    options: dict[str, Any] = {"partial": True} if args.partial else {}
    fmt, recording = read_recording(args.input, args.format, **options)
    source = RecordingSource(
        recording, speed=args.speed, loop=args.loop, start_s=args.start, restamp=True
    )
    outlets = open_outlets(recording)
    print(
        f"replaying {args.input} ({fmt}, {recording.duration_s:.1f} s) at {args.speed:g}x "
        f"from {args.start:g} s{' in a loop' if args.loop else ''}:"
    )
    for stream in recording.streams.values():
        spec = stream.spec
        print(f"  {spec.name} (type {spec.kind}, source_id {spec.source_id})", flush=True)
    dashboard = start_dashboard(args, lambda text: print(text, flush=True))
    sink = dashboard.server.sink_for("replay") if dashboard.server is not None else None
    n = asyncio.run(publish(source, outlets, sink.on_chunk if sink is not None else None))
    if sink is not None:
        sink.close()
    dashboard.stop()
    if any(outlet.have_consumers() for outlet in outlets.values()):
        time.sleep(END_LINGER_S)  # let subscribers receive the last samples
    for outlet in outlets.values():
        outlet.close()
    print(f"done: {n} samples published")
    return 0
