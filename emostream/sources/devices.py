"""Build a wearable device source from its profile, for the live pipeline and `emostream stream`.

`make_source` picks the driver by the profile's transport and driver name. `simulated` hosts
a virtual device for a profile (bumble peripheral on a virtual radio, or a loopback E4
server) so the exact same drivers run without hardware. `build_device_source` serves a
pipeline's `[[sources]]` entry, where `address = "simulate"` selects the virtual device.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from emostream.core.spec import StreamSpec
from emostream.devices import DeviceProfile, device_pseudonym
from emostream.errors import ConfigError, UsageError
from emostream.protocols import e4
from emostream.sources.base import Source, SourceEvent
from emostream.sources.ble import DRIVERS, BleBackend
from emostream.sources.device_errors import DeviceNotFoundError
from emostream.sources.e4_tcp import E4StreamingClient
from emostream.supervisor import BackoffPolicy, LinkStatus

if TYPE_CHECKING:
    from emostream.pipeline.config import SourceConfig

WEARABLE_TRANSPORTS = ("ble", "e4-tcp")
SIMULATE = "simulate"


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


class SimulatedDevice(Source):
    """A virtual device for `profile`, hosted while `events()` runs, read by the real driver."""

    def __init__(self, profile: DeviceProfile, policy: BackoffPolicy | None = None) -> None:
        check_wearable(profile)
        self.profile = profile
        self.policy = policy
        # the same source_ids as the driver that will read the virtual device
        self._specs = profile.stream_specs(device_pseudonym(_virtual_address(profile)))
        self._source: Source | None = None
        self._idle = LinkStatus()

    @property
    def specs(self) -> tuple[StreamSpec, ...]:
        return self._specs

    @property
    def status(self) -> LinkStatus:
        """The driver's link status (a fresh one before the device is up)."""
        return getattr(self._source, "status", None) or self._idle

    async def events(self) -> AsyncIterator[SourceEvent]:
        async with simulated(self.profile) as where:
            self._source = make_source(self.profile, where, self.policy)
            try:
                async for event in self._source.events():
                    yield event
            finally:
                await self._source.aclose()

    async def aclose(self) -> None:
        if self._source is not None:
            await self._source.aclose()


def _virtual_address(profile: DeviceProfile) -> str:
    if profile.device.transport == "e4-tcp":
        from emostream.sources.e4_server import VirtualE4Server

        return VirtualE4Server().device_id
    from emostream.sources.ble.peripherals import PERIPHERALS

    peripheral = PERIPHERALS.get(profile.device.driver)
    if peripheral is None:
        raise UsageError(f"no virtual device for driver '{profile.device.driver}'")
    return peripheral.DEFAULT_ADDRESS


def build_device_source(profile: DeviceProfile, source: SourceConfig) -> Source:
    """The source for a pipeline `[[sources]]` entry whose profile is a wearable.

    `address`: BLE MAC (macOS: device UUID); for the E4 `[device_id@]host[:port]` or a device
    id; `"simulate"` for the virtual device. BLE needs an address here: a pipeline's
    source_ids must be stable, so they cannot depend on whichever device a scan finds first.
    """
    check_wearable(profile)
    if source.address == SIMULATE:
        return SimulatedDevice(profile)
    if profile.device.transport == "e4-tcp":
        return make_source(profile, parse_e4_address(source.address))
    if not source.address:
        raise ConfigError(
            f'give the {profile.name} address (see `emostream devices scan`), or "simulate"',
            key="sources.address",
        )
    return make_source(profile, Connection(address=source.address, backend=BleBackend()))
