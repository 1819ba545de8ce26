"""Virtual devices read by the real drivers: `--simulate` without hardware.

`simulated` hosts a virtual device for a profile (a bumble peripheral on an in-process radio,
or a loopback E4 server) sending the synthetic wearer's physiology; `SimulatedDevice` is a
Source that hosts one while it is read.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from emostream.core.events import SourceEvent
from emostream.core.registry import UnknownNameError
from emostream.core.spec import StreamSpec
from emostream.errors import UsageError
from emostream.profiles import DeviceProfile, device_pseudonym
from emostream.sources.base import Source
from emostream.sources.factory import Connection, check_wearable, make_source
from emostream.sources.supervisor import BackoffPolicy, LinkStatus

if TYPE_CHECKING:
    from emostream.testing.peripherals import VirtualPeripheral


@contextlib.asynccontextmanager
async def simulated(
    profile: DeviceProfile, *, speed: float = 1.0, seed: int = 1
) -> AsyncIterator[Connection]:
    """Host a virtual device for `profile`, sending the synthetic wearer's (`seed`) physiology,
    and yield where to connect to it."""
    from emostream.testing.wearer import WearerSignals

    wearer = WearerSignals(seed)
    if profile.device.transport == "e4-tcp":
        from emostream.testing.e4_server import VirtualE4Server

        server = VirtualE4Server(speed=speed, wearer=wearer)
        await server.start()
        try:
            yield Connection(address=server.device_id, port=server.port)
        finally:
            await server.stop()
        return
    try:
        from emostream.testing.virtual_air import VirtualAir
    except ImportError as exc:  # bumble is an optional dependency
        raise UsageError(
            f"--simulate needs bumble ({exc}); install it with `pip install 'emostream[sim]'`"
        ) from None
    peripheral = _peripheral(profile)
    air = VirtualAir()
    device = peripheral(air, speed=speed, keep_log=False, wearer=wearer)
    await device.start()
    try:
        yield Connection(address=device.address, backend=air.backend())
    finally:
        await device.close()


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
        from emostream.testing.e4_server import VirtualE4Server

        return VirtualE4Server().device_id
    return _peripheral(profile).DEFAULT_ADDRESS


def _peripheral(profile: DeviceProfile) -> type[VirtualPeripheral]:
    from emostream.testing.peripherals import PERIPHERALS

    try:
        return PERIPHERALS.get(profile.device.driver)
    except UnknownNameError as exc:
        raise UsageError(str(exc)) from None
