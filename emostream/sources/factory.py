"""Build a wearable device's source from its profile: `make_source` picks the driver by the
profile's transport and driver name; `find_address` scans for a device the profile names.

Virtual devices for these drivers live in `emostream.testing.simulate`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from emostream.core.registry import Registry, UnknownNameError
from emostream.errors import ConfigError, UsageError
from emostream.profiles import DeviceProfile
from emostream.protocols import e4
from emostream.sources.base import Source
from emostream.sources.ble import DRIVERS, BleBackend
from emostream.sources.device_errors import DeviceNotFoundError
from emostream.sources.e4_tcp import E4StreamingClient
from emostream.sources.supervisor import BackoffPolicy

SIMULATE = "simulate"


@dataclass(frozen=True)
class Connection:
    """Where a device is: a BLE address (+ backend) or an E4 server (+ device id)."""

    address: str | None = None
    backend: BleBackend | None = None
    host: str = "127.0.0.1"
    port: int = 28000


Connector = Callable[[DeviceProfile, Connection, BackoffPolicy | None], Source]
#: wearable transport → the source that reaches a device of that transport at a Connection
WEARABLES: Registry[Connector] = Registry("wearable transport")


@WEARABLES.register("ble")
def _ble(profile: DeviceProfile, where: Connection, policy: BackoffPolicy | None) -> Source:
    try:
        driver = DRIVERS.get(profile.device.driver)
    except UnknownNameError as exc:
        raise ConfigError(str(exc), file=profile.path, key="device.driver") from None
    if not where.address:
        raise UsageError(f"profile '{profile.name}': give the device address (--address)")
    return driver(profile, where.address, backend=where.backend, policy=policy)


@WEARABLES.register("e4-tcp")
def _e4(profile: DeviceProfile, where: Connection, policy: BackoffPolicy | None) -> Source:
    return E4StreamingClient(
        profile, where.address, host=where.host, port=where.port, policy=policy
    )


def check_wearable(profile: DeviceProfile) -> None:
    """UsageError unless the profile describes a wearable (BLE or E4) device."""
    transport = profile.device.transport
    if transport not in WEARABLES:
        raise UsageError(
            f"profile '{profile.name}' has transport '{transport}'; only "
            f"{', '.join(WEARABLES.names())} profiles are wearable devices (use `emostream "
            "simulate` or a pipeline for the others)"
        )


def make_source(
    profile: DeviceProfile, where: Connection, policy: BackoffPolicy | None = None
) -> Source:
    """The driver for `profile` at `where` (BLE needs an address; see `find_address`)."""
    check_wearable(profile)
    return WEARABLES.get(profile.device.transport)(profile, where, policy)


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


def parse_e4_address(address: str) -> Connection:
    """`[device_id@]host[:port]`, or a bare device id (server on 127.0.0.1:28000)."""
    device, _, server = address.rpartition("@") if "@" in address else ("", "", address)
    if not device and ":" not in server and "." not in server and server != "localhost":
        return Connection(address=server or None)
    host, _, port = server.partition(":")
    try:
        return Connection(
            address=device or None, host=host or "127.0.0.1", port=int(port or e4.DEFAULT_PORT)
        )
    except ValueError:
        raise UsageError(f"E4 address '{address}': the port must be a number") from None
