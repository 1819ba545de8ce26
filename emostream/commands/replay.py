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
from emostream.core.spec import for_wearer, wearer_slot
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
        "--wearers",
        type=arg_types.wearers,
        default=1,
        metavar="N",
        help="publish the recording as N wearers at once; stream names and source_ids end in "
        "-w01, -w02, … (default 1: no suffix)",
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


def open_outlets(recording: Recording, slot: str = "") -> dict[str, StreamOutlets]:
    """One outlet per stream, keyed by the recording's source_id, with the stream's device
    meta-data; with `slot`, as that wearer's stream (see `for_wearer`)."""
    devices: dict[str, dict[str, str]] = recording.meta.get("devices") or {}
    outlets: dict[str, StreamOutlets] = {}
    for key, stream in recording.streams.items():
        device = devices.get(key, {})
        outlets[stream.spec.source_id] = StreamOutlets(
            [for_wearer(stream.spec, slot) if slot else stream.spec],
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
            outlet = outlets[event.spec.source_id]
            outlet.push(event, outlet.specs[0].source_id)
            n += len(event)
            if on_chunk is not None:
                on_chunk(event)
    return n


def run(args: argparse.Namespace) -> int:
    options: dict[str, Any] = {"partial": True} if args.partial else {}
    fmt, recording = read_recording(args.input, args.format, **options)
    slots = (
        [wearer_slot(i, args.wearers) for i in range(args.wearers)] if args.wearers > 1 else [""]
    )
    sources = [
        RecordingSource(
            recording, speed=args.speed, loop=args.loop, start_s=args.start, restamp=True
        )
        for _ in slots
    ]
    outlets = [open_outlets(recording, slot) for slot in slots]
    many = f" as {args.wearers} wearers" if args.wearers > 1 else ""
    print(
        f"replaying {args.input} ({fmt}, {recording.duration_s:.1f} s){many} at {args.speed:g}x "
        f"from {args.start:g} s{' in a loop' if args.loop else ''}:"
    )
    for outlet in outlets[0].values():
        spec = outlet.specs[0]
        print(f"  {spec.name} (type {spec.kind}, source_id {spec.source_id})", flush=True)
    if len(slots) > 1:
        print(f"  … and the same for {', '.join(slots[1:3])}{', …' if len(slots) > 3 else ''}")
    dashboard = start_dashboard(args, lambda text: print(text, flush=True))
    pages = [
        dashboard.server.sink_for(slot or "replay") if dashboard.server is not None else None
        for slot in slots
    ]

    async def publish_all() -> list[int]:
        return await asyncio.gather(
            *(
                publish(s, o, page.on_chunk if page is not None else None)
                for s, o, page in zip(sources, outlets, pages, strict=True)
            )
        )

    n = sum(asyncio.run(publish_all()))
    for page in pages:
        if page is not None:
            page.close()
    dashboard.stop()
    every = [outlet for wearer in outlets for outlet in wearer.values()]
    if any(outlet.have_consumers() for outlet in every):
        time.sleep(END_LINGER_S)  # let subscribers receive the last samples
    for outlet in every:
        outlet.close()
    print(f"done: {n} samples published")
    return 0
