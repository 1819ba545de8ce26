"""Build a wearable device source from its profile, for the live pipeline and `emostream stream`.

`make_source` picks the driver by the profile's transport and driver name. `simulated` hosts
a virtual device for a profile (bumble peripheral on a virtual radio, or a loopback E4
server) so the exact same drivers run without hardware.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from emostream.devices import DeviceProfile
from emostream.errors import ConfigError, UsageError
from emostream.sources.base import Source
from emostream.sources.ble import DRIVERS, BleBackend
from emostream.sources.device_errors import DeviceNotFoundError
from emostream.sources.e4_tcp import E4StreamingClient
from emostream.supervisor import BackoffPolicy

WEARABLE_TRANSPORTS = ("ble", "e4-tcp")


@dataclass(frozen=True)
class Connection:
    """Where a device is: a BLE address (+ backend) or an E4 server (+ device id)."""

    address: str | None = None
    backend: BleBackend | None = None
    host: str = "127.0.0.1"
    port: int = 28000


def check_wearable(profile: DeviceProfile) -> None:
    """UsageError unless the profile describes a BLE or E4 device."""
    transport = profile.device.transport
    if transport not in WEARABLE_TRANSPORTS:
        raise UsageError(
            f"profile '{profile.name}' has transport '{transport}'; only "
            f"{', '.join(WEARABLE_TRANSPORTS)} profiles are wearable devices (use `emostream "
            "simulate` or a pipeline for the others)"
        )


def make_source(
    profile: DeviceProfile, where: Connection, policy: BackoffPolicy | None = None
) -> Source:
    """The driver for `profile` at `where` (BLE needs an address; see `find_address`)."""
    check_wearable(profile)
    if profile.device.transport == "e4-tcp":
        return E4StreamingClient(
            profile, where.address, host=where.host, port=where.port, policy=policy
        )
    driver = DRIVERS.get(profile.device.driver)
    if driver is None:
        raise ConfigError(
            f"unknown BLE driver '{profile.device.driver}'; known: {', '.join(DRIVERS)}",
            file=profile.path,
            key="device.driver",
        )
    if not where.address:
        raise UsageError(f"profile '{profile.name}': give the device address (--address)")
    return driver(profile, where.address, backend=where.backend, policy=policy)


def matches(profile: DeviceProfile, name: str | None) -> bool:
    return bool(name) and any(str(name).startswith(prefix) for prefix in profile.device.ble_names)


async def find_address(profile: DeviceProfile, backend: BleBackend, timeout_s: float) -> str:
    """Scan for the first device whose advertised name matches the profile's `ble_names`."""
    found = await backend.discover(timeout_s)
    for device, adv in sorted(found.values(), key=lambda pair: -pair[1].rssi):
        if matches(profile, adv.local_name or device.name):
            return device.address
    raise DeviceNotFoundError(
        f"any {profile.name} ({', '.join(profile.device.ble_names) or 'no ble_names'})", timeout_s
    )


@contextlib.asynccontextmanager
async def simulated(profile: DeviceProfile, *, speed: float = 1.0) -> AsyncIterator[Connection]:
    """Host a virtual device for `profile` and yield where to connect to it."""
    if profile.device.transport == "e4-tcp":
        from emostream.sources.e4_server import VirtualE4Server

        server = VirtualE4Server(speed=speed)
        await server.start()
        try:
            yield Connection(address=server.device_id, port=server.port)
        finally:
            await server.stop()
        return
    try:
        from emostream.sources.ble.peripherals import PERIPHERALS
        from emostream.sources.ble.virtual import VirtualAir
    except ImportError as exc:  # bumble is an optional dependency
        raise UsageError(
            f"--simulate needs bumble ({exc}); install it with `pip install bumble`"
        ) from None
    peripheral = PERIPHERALS.get(profile.device.driver)
    if peripheral is None:
        raise UsageError(f"no virtual device for driver '{profile.device.driver}'")
    air = VirtualAir()
    device = peripheral(air, speed=speed, keep_log=False)
    await device.start()
    try:
        yield Connection(address=device.address, backend=air.backend())
    finally:
        await device.close()
