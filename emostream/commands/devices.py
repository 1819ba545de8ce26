"""`emostream devices scan`: BLE devices with their matching profile, plus visible LSL streams."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

from emostream.commands import arg_types
from emostream.commands.streams import list_streams
from emostream.errors import DeviceError
from emostream.profiles import list_profiles, load_profile
from emostream.sources.ble import BleBackend
from emostream.sources.factory import matches


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "devices",
        help="find wearable devices (BLE) and LSL streams",
        description="Find wearable devices and LSL streams.",
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    scan = actions.add_parser(
        "scan",
        help="list BLE devices with their known profile, and the visible LSL streams",
        description=(
            "Scan for Bluetooth LE devices, name the device profile that fits each (by its "
            "advertised name), and list the LSL streams that are visible."
        ),
    )
    scan.add_argument(
        "--timeout",
        type=arg_types.seconds,
        default=5.0,
        metavar="S",
        help="scan time (default 5 s)",
    )
    scan.add_argument("--json", action="store_true", help="print one JSON object per device/stream")
    scan.add_argument(
        "--simulate",
        action="store_true",
        help="scan a virtual radio with one of each virtual device",
    )
    scan.set_defaults(func=run)


@contextlib.asynccontextmanager
async def _backend(simulate: bool) -> AsyncIterator[BleBackend]:
    if not simulate:
        yield BleBackend()
        return
    from emostream.testing.peripherals import PERIPHERALS
    from emostream.testing.virtual_air import VirtualAir

    air = VirtualAir()
    devices = [cls(air, keep_log=False) for cls in map(PERIPHERALS.get, PERIPHERALS)]
    for device in devices:
        await device.start()
    try:
        yield air.backend()
    finally:
        for device in devices:
            await device.close()


async def scan_ble(timeout_s: float, simulate: bool) -> list[dict[str, object]]:
    profiles = [load_profile(name) for name in list_profiles()]
    async with _backend(simulate) as backend:
        found = await backend.discover(timeout_s)
    rows: list[dict[str, Any]] = []
    for device, adv in found.values():
        name = adv.local_name or device.name
        known = [p for p in profiles if p.device.transport == "ble" and matches(p, name)]
        # the profile with the longest matching name prefix is the most specific
        known.sort(
            key=lambda p: -max(len(x) for x in p.device.ble_names if str(name).startswith(x))
        )
        rows.append(
            {
                "address": device.address,
                "name": name,
                "rssi_dbm": adv.rssi,
                "profiles": [p.name for p in known],
            }
        )
    return sorted(rows, key=lambda r: (not r["profiles"], -int(r["rssi_dbm"])))


def run(args: argparse.Namespace) -> int:
    status = 0
    try:
        devices = asyncio.run(scan_ble(args.timeout, args.simulate))
    except DeviceError as exc:
        devices = []
        status = 1
        print(f"Bluetooth: error: {exc}")
    streams = list_streams(min(args.timeout, 2.0))
    if args.json:
        for row in devices:
            print(json.dumps({"kind": "ble", **row}))
        for row in streams:
            print(json.dumps({"kind": "lsl", **row}))
        return status
    if status == 0:
        print(f"Bluetooth LE devices ({len(devices)} found in {args.timeout:g} s):")
        for r in devices:
            known = ", ".join(r["profiles"]) or "-"  # type: ignore[arg-type]
            print(
                f"  {r['address']!s:20s} {r['name'] or '?'!s:24s} {r['rssi_dbm']!s:>5s} dBm  profile: {known}"
            )
    print(f"LSL streams ({len(streams)}):")
    for r in streams:
        print(f"  {r['name']!s:24s} {r['type']!s:10s} {r['source_id']}")
    return status
