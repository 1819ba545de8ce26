"""Which bleak backend to use, and bleak errors translated into emostream device errors."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from bleak import BleakClient, BleakScanner
from bleak.backends.client import BaseBleakClient
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, BaseBleakScanner
from bleak.exc import (
    BleakBluetoothNotAvailableError,
    BleakBluetoothNotAvailableReason,
    BleakDeviceNotFoundError,
    BleakError,
)

from emostream.errors import DeviceError
from emostream.sources.device_errors import (
    BluetoothPermissionError,
    ConnectionLostError,
    DeviceNotFoundError,
    NoAdapterError,
)

_DENIED = {
    BleakBluetoothNotAvailableReason.DENIED_BY_USER,
    BleakBluetoothNotAvailableReason.DENIED_BY_SYSTEM,
    BleakBluetoothNotAvailableReason.DENIED_BY_UNKNOWN,
}


@dataclass(frozen=True)
class BleBackend:
    """bleak backend classes plus their extra keyword arguments; None = the platform's own.

    Drivers take one of these, so the same code runs against the OS Bluetooth stack and
    against the virtual radio (`VirtualAir.backend()`).
    """

    client: type[BaseBleakClient] | None = None
    scanner: type[BaseBleakScanner] | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    name: str = "system"

    def make_client(
        self, device: BLEDevice | str, disconnected: Callable[[BleakClient], None], timeout_s: float
    ) -> BleakClient:
        return BleakClient(
            device, disconnected, timeout=timeout_s, backend=self.client, **self.options
        )

    def make_scanner(self, **kwargs: Any) -> BleakScanner:
        return BleakScanner(backend=self.scanner, **self.options, **kwargs)

    async def discover(self, timeout_s: float) -> dict[str, tuple[BLEDevice, AdvertisementData]]:
        with translate_errors(""):
            # `options` are backend keyword arguments, which bleak's overloads do not list
            return await BleakScanner.discover(  # type: ignore[call-overload]
                timeout_s, return_adv=True, backend=self.scanner, **self.options
            )

    async def find(self, address: str, timeout_s: float) -> tuple[BLEDevice, AdvertisementData]:
        """Scan until `address` advertises; raise DeviceNotFoundError after `timeout_s`."""
        with translate_errors(address):
            async with self.make_scanner() as scanner:
                try:
                    async with asyncio.timeout(timeout_s):
                        async for device, adv in scanner.advertisement_data():
                            if device.address.lower() == address.lower():
                                return device, adv
                except TimeoutError:
                    pass
        raise DeviceNotFoundError(address, timeout_s)


@contextlib.contextmanager
def translate_errors(address: str) -> Iterator[None]:
    """Re-raise bleak/OS errors as NoAdapterError, BluetoothPermissionError,
    DeviceNotFoundError or ConnectionLostError (transient); anything else passes unchanged."""
    try:
        yield
    except DeviceError:
        raise
    except Exception as exc:
        error = to_device_error(exc, address)
        if error is None:
            raise
        raise error from exc


def to_device_error(exc: Exception, address: str) -> DeviceError | None:
    """The emostream error for a bleak/OS error; None for anything else (a bug: re-raise it)."""
    if isinstance(exc, BleakBluetoothNotAvailableError):
        if exc.reason in _DENIED:
            return BluetoothPermissionError(str(exc.args[0]))
        return NoAdapterError(f"{exc.reason.name.lower()}: {exc.args[0]}")
    if isinstance(exc, BleakDeviceNotFoundError):
        return DeviceNotFoundError(address or exc.identifier, 0.0)
    if isinstance(exc, PermissionError):
        return BluetoothPermissionError(str(exc))
    if isinstance(exc, (FileNotFoundError, ConnectionRefusedError)):
        return NoAdapterError(f"the Bluetooth service is not reachable: {exc}")
    text = str(exc)
    lowered = text.lower()
    if "no bluetooth adapters" in lowered or ("adapter" in lowered and "not found" in lowered):
        return NoAdapterError(text)
    if "accessdenied" in lowered or "notpermitted" in lowered or "not authorized" in lowered:
        return BluetoothPermissionError(text)
    if isinstance(exc, (BleakError, TimeoutError, OSError, EOFError)):
        return ConnectionLostError(
            address or "device", f"{type(exc).__name__}: {text or 'no detail'}"
        )
    return None
