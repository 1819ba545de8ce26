"""A bleak backend over an in-process bumble radio: virtual peripherals without hardware.

`VirtualAir` is a bumble `LocalLink` plus one central bumble device that plays the host's
adapter. `BumbleClientBackend` and `BumbleScannerBackend` implement bleak's backend
interfaces on top of it, so `BleakClient(address, backend=BumbleClientBackend, air=air)`
runs the real bleak API against peripherals hosted on the same link (see
`emostream.testing.peripherals`). Used by the tests and by `emostream stream --simulate`.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from bleak.args import SizedBuffer
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient, NotifyCallback
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, BaseBleakScanner
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakDeviceNotFoundError, BleakError, BleakGATTProtocolError
from bumble import core, gatt, gatt_client, hci
from bumble.controller import Controller
from bumble.device import Advertisement, Connection, Device, Peer
from bumble.host import Host
from bumble.link import LocalLink
from bumble.transport.common import AsyncPipeSink

from emostream.sources.ble.transport import BleBackend

#: ATT MTU the client asks for; bumble keeps the default 23 (20-byte payloads) otherwise.
REQUESTED_MTU = 247

_CENTRAL_ADDRESS = "C0:FF:EE:00:00:01"

_PROPERTY_NAMES = (
    (gatt.Characteristic.Properties.BROADCAST, "broadcast"),
    (gatt.Characteristic.Properties.READ, "read"),
    (gatt.Characteristic.Properties.WRITE_WITHOUT_RESPONSE, "write-without-response"),
    (gatt.Characteristic.Properties.WRITE, "write"),
    (gatt.Characteristic.Properties.NOTIFY, "notify"),
    (gatt.Characteristic.Properties.INDICATE, "indicate"),
    (gatt.Characteristic.Properties.AUTHENTICATED_SIGNED_WRITES, "authenticated-signed-writes"),
    (gatt.Characteristic.Properties.EXTENDED_PROPERTIES, "extended-properties"),
)


def bumble_device(link: LocalLink, name: str, address: str) -> Device:
    """A bumble device with its own controller on `link`."""
    controller = Controller(name, link=link, public_address=address)
    return Device(
        name=name, address=hci.Address(address), host=Host(controller, AsyncPipeSink(controller))
    )


def uuid_str(value: core.UUID) -> str:
    """bumble UUID → bleak's normalised 128-bit lower-case string."""
    return str(uuid.UUID(bytes=value.to_bytes(force_128=True)[::-1]))


class VirtualAir:
    """A LocalLink with one central device (the 'adapter') that bleak backends drive."""

    def __init__(self) -> None:
        self.link = LocalLink()
        self.central = bumble_device(self.link, "emostream-host", _CENTRAL_ADDRESS)
        self._powered = False
        #: bumble's central makes one LE connection at a time; OS stacks queue them
        self.connect_lock = asyncio.Lock()
        self._scan_listeners: list[Callable[[Advertisement], None]] = []

    async def power_on(self) -> None:
        if not self._powered:
            await self.central.power_on()
            self._powered = True

    async def add_scan_listener(self, listener: Callable[[Advertisement], None]) -> None:
        await self.power_on()
        if not self._scan_listeners:
            self.central.on(Device.EVENT_ADVERTISEMENT, self._dispatch)
            await self.central.start_scanning(filter_duplicates=False)
        self._scan_listeners.append(listener)

    async def remove_scan_listener(self, listener: Callable[[Advertisement], None]) -> None:
        if listener in self._scan_listeners:
            self._scan_listeners.remove(listener)
        if not self._scan_listeners and self.central.is_scanning:
            self.central.remove_listener(Device.EVENT_ADVERTISEMENT, self._dispatch)
            await self.central.stop_scanning()

    def backend(self) -> BleBackend:
        """The bleak backend that drives this radio's central."""
        return BleBackend(BumbleClientBackend, BumbleScannerBackend, {"air": self}, name="virtual")

    def _dispatch(self, advertisement: Advertisement) -> None:
        for listener in list(self._scan_listeners):
            listener(advertisement)


@contextlib.contextmanager
def _bleak_errors() -> Iterator[None]:
    """bumble errors surface as the bleak errors a platform backend would raise."""
    try:
        yield
    except core.ProtocolError as exc:
        if isinstance(exc.error_code, int):
            raise BleakGATTProtocolError(exc.error_code) from exc
        raise BleakError(str(exc)) from exc
    except (core.BaseBumbleError, ConnectionError) as exc:
        raise BleakError(f"{type(exc).__name__}: {exc}") from exc


def _air(kwargs: dict[str, Any]) -> VirtualAir:
    air = kwargs.get("air")
    if not isinstance(air, VirtualAir):
        raise BleakError("the bumble backend needs air=VirtualAir(...)")
    return air


class BumbleClientBackend(BaseBleakClient):
    """bleak client backend: connects through `VirtualAir.central` with bumble's GATT client."""

    def __init__(
        self,
        address_or_ble_device: BLEDevice | str,
        *,
        disconnected_callback: Callable[[], None] | None,
        timeout: float,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            address_or_ble_device, disconnected_callback=disconnected_callback, timeout=timeout
        )
        self._air = _air(kwargs)
        self._connection: Connection | None = None
        self._peer: Peer | None = None
        self._subscribers: dict[int, Callable[[bytes], None]] = {}

    @property
    def name(self) -> str:
        return self.address

    @property
    def mtu_size(self) -> int:
        return self._connection.att_mtu if self._connection else 23

    @property
    def is_connected(self) -> bool:
        return self._connection is not None

    async def connect(self, pair: bool, **kwargs: Any) -> None:
        await self._air.power_on()
        try:
            async with self._air.connect_lock:
                connection = await self._air.central.connect(
                    hci.Address(self.address),
                    transport=core.PhysicalTransport.LE,
                    timeout=self._timeout,
                )
        except core.TimeoutError as exc:
            raise BleakDeviceNotFoundError(self.address, f"{self.address} not found") from exc
        self._connection = connection
        connection.on(Connection.EVENT_DISCONNECTION, self._on_disconnection)
        peer = Peer(connection)
        with _bleak_errors():
            await peer.request_mtu(REQUESTED_MTU)
            await peer.discover_all()
        self._peer = peer
        self.services = self._collect_services(peer)

    def _collect_services(self, peer: Peer) -> BleakGATTServiceCollection:
        collection = BleakGATTServiceCollection()
        for service in peer.services:
            bleak_service = BleakGATTService(service, service.handle, uuid_str(service.uuid))
            collection.add_service(bleak_service)
            for char in service.characteristics:
                props = [name for flag, name in _PROPERTY_NAMES if char.properties & flag]
                bleak_char = BleakGATTCharacteristic(
                    char, char.handle, uuid_str(char.uuid), props,  # type: ignore[arg-type]
                    lambda: self.mtu_size - 3, bleak_service,
                )  # fmt: skip
                collection.add_characteristic(bleak_char)
                for desc in char.descriptors:
                    collection.add_descriptor(
                        BleakGATTDescriptor(desc, desc.handle, uuid_str(desc.type), bleak_char)
                    )
        return collection

    def _on_disconnection(self, _reason: int) -> None:
        """The link is gone, whoever ended it: the disconnected callback is called when the
        client disconnects itself too, as bleak's BlueZ, WinRT and CoreBluetooth backends do."""
        self._connection = None
        self._peer = None
        self._subscribers.clear()
        if self._disconnected_callback is not None:
            self._disconnected_callback()

    async def disconnect(self) -> None:
        if self._connection is None:
            return
        try:
            await self._connection.disconnect()
        except core.BaseBumbleError:
            self._on_disconnection(0)

    async def pair(self, *args: Any, **kwargs: Any) -> None:
        raise BleakError("the virtual radio does not pair")

    async def unpair(self) -> None:
        raise BleakError("the virtual radio does not pair")

    def _require_connected(self) -> None:
        if self._connection is None:
            raise BleakError("Not connected")

    async def read_gatt_char(
        self, characteristic: BleakGATTCharacteristic, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        self._require_connected()
        with _bleak_errors():
            return bytearray(await characteristic.obj.read_value())

    async def read_gatt_descriptor(
        self, descriptor: BleakGATTDescriptor, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        self._require_connected()
        with _bleak_errors():
            return bytearray(await descriptor.obj.read_value())

    async def write_gatt_char(
        self, characteristic: BleakGATTCharacteristic, data: SizedBuffer, response: bool
    ) -> None:
        self._require_connected()
        with _bleak_errors():
            await characteristic.obj.write_value(bytes(data), with_response=response)

    async def write_gatt_descriptor(
        self, descriptor: BleakGATTDescriptor, data: SizedBuffer
    ) -> None:
        self._require_connected()
        with _bleak_errors():
            await descriptor.obj.write_value(bytes(data), with_response=True)

    async def start_notify(
        self, characteristic: BleakGATTCharacteristic, callback: NotifyCallback, **kwargs: Any
    ) -> None:
        self._require_connected()
        proxy: gatt_client.CharacteristicProxy = characteristic.obj

        def on_value(value: bytes) -> None:
            callback(bytearray(value))

        self._subscribers[characteristic.handle] = on_value
        with _bleak_errors():
            await proxy.subscribe(on_value, prefer_notify=True)

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        subscriber = self._subscribers.pop(characteristic.handle, None)
        if self._connection is not None and subscriber is not None:
            with _bleak_errors():
                await characteristic.obj.unsubscribe(subscriber)


class BumbleScannerBackend(BaseBleakScanner):
    """bleak scanner backend: reports advertisements heard by `VirtualAir.central`."""

    def __init__(
        self,
        detection_callback: Any,
        service_uuids: list[str] | None,
        scanning_mode: str = "active",
        **kwargs: Any,
    ) -> None:
        super().__init__(detection_callback, service_uuids)
        self._air = _air(kwargs)

    async def start(self) -> None:
        self.seen_devices = {}
        await self._air.add_scan_listener(self._on_advertisement)

    async def stop(self) -> None:
        await self._air.remove_scan_listener(self._on_advertisement)

    def _on_advertisement(self, advertisement: Advertisement) -> None:
        data = advertisement.data
        name = data.get(data.Type.COMPLETE_LOCAL_NAME) or data.get(data.Type.SHORTENED_LOCAL_NAME)
        service_uuids = [
            uuid_str(u)
            for kind in (
                data.Type.COMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS,
                data.Type.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
            )
            for u in (data.get(kind) or [])
        ]
        if not self.is_allowed_uuid(service_uuids):
            return
        address = advertisement.address.to_string(with_type_qualifier=False)
        adv = AdvertisementData(
            local_name=name if isinstance(name, str) else None,
            manufacturer_data={},
            service_data={},
            service_uuids=service_uuids,
            tx_power=None,
            rssi=advertisement.rssi,
            platform_data=(advertisement,),
        )
        device = self.create_or_update_device(address, address, adv.local_name, advertisement, adv)
        self.call_detection_callbacks(device, adv)
