"""`emostream stream PROFILE`: publish a wearable device as LSL outlets."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from rich.console import Console

from emostream.commands import arg_types
from emostream.core.chunk import Chunk
from emostream.core.events import LinkState
from emostream.profiles import DeviceProfile, load_profile
from emostream.sinks.lsl import StreamOutlets
from emostream.sources.ble import BleBackend
from emostream.sources.factory import Connection, check_wearable, find_address, make_source


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "stream",
        help="publish a device as LSL outlets",
        description=(
            "Connect to a wearable (BLE heart-rate strap, Polar H10, Muse, or an Empatica E4 "
            "through its streaming server) and publish its streams as LSL outlets with full "
            "channel meta-data. Reconnects by itself after dropouts, keeping the same "
            "source_ids, and marks each gap on the device's Markers stream."
        ),
    )
    p.add_argument("profile", metavar="PROFILE", help="device profile name (see devices/) or path")
    p.add_argument(
        "--address",
        default=None,
        help="BLE address (macOS: device UUID) or E4 device id; default: the first one found",
    )
    p.add_argument(
        "--host", default="127.0.0.1", help="E4 streaming server host (default 127.0.0.1)"
    )
    p.add_argument(
        "--port",
        type=arg_types.port,
        default=28000,
        help="E4 streaming server port (default 28000)",
    )
    p.add_argument(
        "--scan-timeout",
        type=arg_types.seconds,
        default=10.0,
        metavar="S",
        help="BLE scan time (default 10 s)",
    )
    p.add_argument(
        "--duration", type=arg_types.seconds, default=None, metavar="S", help="stop after S seconds"
    )
    p.add_argument(
        "--simulate",
        action="store_true",
        help="stream from a virtual device on an in-process radio (no hardware needed)",
    )
    p.set_defaults(func=run)


@contextlib.asynccontextmanager
async def _where(args: argparse.Namespace, profile: DeviceProfile) -> AsyncIterator[Connection]:
    if args.simulate:
        from emostream.testing.simulate import simulated

        async with simulated(profile) as where:
            yield where
        return
    if profile.device.transport == "e4-tcp":
        yield Connection(address=args.address, host=args.host, port=args.port)
        return
    backend = BleBackend()
    address = args.address or await find_address(profile, backend, args.scan_timeout)
    yield Connection(address=address, backend=backend)


async def _stream(args: argparse.Namespace, console: Console) -> int:
    profile = load_profile(args.profile)
    check_wearable(profile)
    async with _where(args, profile) as where:
        source = make_source(profile, where)
        outlets = StreamOutlets(
            source.specs, manufacturer=profile.device.manufacturer, model=profile.device.model
        )
        for spec in source.specs:
            rate = "irregular" if spec.is_irregular else f"{spec.rate_hz:g} Hz"
            console.print(
                f"LSL outlet {spec.name} ({spec.kind}, {rate}) source_id {spec.source_id}"
            )
        progress = _Progress()
        try:
            async with asyncio.timeout(args.duration):
                async for event in source.events():
                    if isinstance(event, LinkState):
                        progress.link(console, event)
                    if not isinstance(event, Chunk):
                        continue
                    outlets.push(event)
                    progress.report(console, event)
        except TimeoutError:
            pass
        finally:
            await source.aclose()
            outlets.close()
    total = ", ".join(f"{k} {n}" for k, n in sorted(progress.counts.items()))
    console.print(f"published {total or 'nothing'}")
    return 0


@dataclass
class _Progress:
    """What `stream` has printed: samples per kind and the last link-status line."""

    counts: dict[str, int] = field(default_factory=dict)
    status_line: str = ""

    def report(self, console: Console, chunk: Chunk) -> None:
        """Print markers and each stream's first data."""
        kind = chunk.spec.kind
        if kind == "Markers":
            console.print(f"[bold]{chunk.spec.name}[/]: {chunk.data[0, 0]}")
        elif kind not in self.counts:
            console.print(f"streaming {chunk.spec.name}")
        self.counts[kind] = self.counts.get(kind, 0) + len(chunk)

    def link(self, console: Console, status: LinkState) -> None:
        """Print every change of the link status."""
        line = f"link: {status.state}"
        if status.battery_pct is not None:
            line += f", battery {status.battery_pct} %"
        if status.rssi_dbm is not None:
            line += f", RSSI {status.rssi_dbm} dBm"
        if status.n_gaps:
            line += f", {status.n_gaps} gap(s)"
        if line != self.status_line:
            self.status_line = line
            console.print(line)


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    console = Console(soft_wrap=True)
    try:
        return asyncio.run(_stream(args, console))
    except KeyboardInterrupt:
        console.print("stopped")
        return 0
