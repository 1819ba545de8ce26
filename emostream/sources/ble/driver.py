"""BLE driver base: one supervised bleak connection feeding decoded chunks.

OS callbacks only time-stamp the payload (LSL clock) and put it in a bounded asyncio.Queue;
overflow is counted in `n_dropped`, never blocks the Bluetooth stack. The session task decodes
packets in arrival order. Subclasses implement `start(client)` (subscribe, send start
commands) and `decode(key, arrival_s, payload)`.
"""

from __future__ import annotations

import abc
import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from typing import ClassVar

import numpy as np
from bleak import BleakClient
from bleak.backends.characteristic import BleakGATTCharacteristic

from emostream.core.chunk import Chunk
from emostream.core.clock import lsl_now_s
from emostream.core.events import SourceEvent
from emostream.core.spec import StreamSpec
from emostream.core.timestamps import TimestampGuard, TimestampStats
from emostream.errors import ConfigError
from emostream.profiles import DeviceProfile, device_pseudonym
from emostream.protocols import MalformedPacket, PacketStats, hrs
from emostream.sources.base import Source
from emostream.sources.ble.transport import BleBackend, translate_errors
from emostream.sources.device_errors import ConnectionLostError
from emostream.sources.supervisor import BackoffPolicy, Connected, LinkStatus, Supervisor
from emostream.timing import MonotonicStamps, rr_beat_times_s

log = logging.getLogger(__name__)

_LOST = object()


class BleDriver(Source, abc.ABC):
    """A device profile bound to one BLE address, with supervised reconnect.

    `backend` selects the bleak backend (the OS stack by default, `VirtualAir.backend()` for
    the simulator). The specs, and so the source_ids, depend only on profile and address.
    """

    #: stream kind → channel count the driver produces, or the channel labels a profile may
    #: pick from (checked against the profile)
    CHANNELS: ClassVar[dict[str, int | tuple[str, ...]]] = {}

    def __init__(
        self,
        profile: DeviceProfile,
        address: str,
        *,
        backend: BleBackend | None = None,
        policy: BackoffPolicy | None = None,
        queue_size: int = 2048,
        scan_timeout_s: float = 10.0,
        connect_timeout_s: float = 10.0,
        stall_timeout_s: float = 5.0,
        tick_s: float = 1.0,
        battery_poll_s: float = 60.0,
        battery_low_pct: int = 15,
        seed: int | None = None,
    ) -> None:
        self.profile = profile
        self.address = address
        self.backend = backend or BleBackend()
        self._specs = profile.stream_specs(device_pseudonym(address))
        self._by_kind = {spec.kind: spec for spec in self._specs}
        self._check_profile()
        self.queue: asyncio.Queue[tuple[object, float, bytes]] = asyncio.Queue(queue_size)
        self.n_dropped = 0
        self.queue_peak = 0
        self.stats: dict[str, PacketStats] = {}
        self.status = LinkStatus()
        self.scan_timeout_s = scan_timeout_s
        self.connect_timeout_s = connect_timeout_s
        self.stall_timeout_s = stall_timeout_s
        self.tick_s = tick_s
        self.battery_poll_s = battery_poll_s
        self.battery_low_pct = battery_low_pct
        self._guards = {spec.kind: TimestampGuard(spec.rate_hz) for spec in self._specs}
        self._stamps = {spec.kind: MonotonicStamps() for spec in self._specs}
        self._client: BleakClient | None = None
        self.supervisor = Supervisor(
            self._session, self._specs, name=f"{profile.name} {address}", policy=policy,
            seed=seed, status=self.status,
        )  # fmt: skip

    def _check_profile(self) -> None:
        for kind, channels in self.CHANNELS.items():
            spec = self._by_kind.get(kind)
            if spec is None:
                continue
            if isinstance(channels, int) and spec.n_channels != channels:
                problem = f"gives {channels} channel(s) for {kind}, the profile declares {spec.n_channels}"
            elif isinstance(channels, tuple) and not set(spec.channels) <= set(channels):
                problem = f"gives {kind} channels {', '.join(channels)}; the profile asks for {', '.join(spec.channels)}"
            else:
                continue
            raise ConfigError(
                f"the {self.profile.device.driver} driver {problem}",
                file=self.profile.path,
                key=f"streams.{spec.name}.channels",
            )
        unknown = [s.kind for s in self._specs if s.kind not in self.CHANNELS and not s.is_markers]
        if unknown:
            raise ConfigError(
                f"the {self.profile.device.driver} driver cannot produce {', '.join(unknown)}; "
                f"it gives {', '.join(self.CHANNELS)}",
                file=self.profile.path,
                key="streams",
            )

    @property
    def specs(self) -> tuple[StreamSpec, ...]:
        return self._specs

    def spec(self, kind: str) -> StreamSpec | None:
        return self._by_kind.get(kind)

    async def events(self) -> AsyncIterator[SourceEvent]:
        async for event in self.supervisor.events():
            yield event

    async def aclose(self) -> None:
        self.supervisor.close()
        client, self._client = self._client, None
        if client is not None:
            await self._disconnect(client)

    # -- to be implemented ------------------------------------------------------------------
    @abc.abstractmethod
    async def start(self, client: BleakClient) -> None:
        """Subscribe and start streaming on a fresh connection."""

    @abc.abstractmethod
    def decode(self, key: object, arrival_s: float, payload: bytes) -> list[Chunk]:
        """Turn one notification into chunks (count malformed packets, never raise)."""

    def reset(self) -> None:
        """Forget per-connection decoding state (called on every new connection)."""

    async def tick(self, client: BleakClient) -> None:
        """Called every `tick_s` while connected (keep-alives)."""

    # -- helpers for subclasses -------------------------------------------------------------
    def notifier(self, key: object) -> Callable[[BleakGATTCharacteristic, bytearray], None]:
        """A bleak notification callback that queues (key, arrival on the LSL clock, bytes)."""

        def on_notify(_sender: BleakGATTCharacteristic, data: bytearray) -> None:
            self._put((key, lsl_now_s(), bytes(data)))

        return on_notify

    def _put(self, item: tuple[object, float, bytes]) -> None:
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            self.n_dropped += 1
        self.queue_peak = max(self.queue_peak, self.queue.qsize())

    def count(self, stream: str, result: object) -> bool:
        """Count a decode result; True when it is usable."""
        stats = self.stats.setdefault(stream, PacketStats())
        if isinstance(result, MalformedPacket):
            stats.reject(result)
            log.debug("%s: skipped malformed packet: %s", self.address, result)
            return False
        stats.accept()
        return True

    def chunk(
        self, kind: str, timestamps: np.ndarray, data: np.ndarray, arrival_s: np.ndarray
    ) -> Chunk | None:
        spec = self._by_kind.get(kind)
        if spec is None or not len(timestamps):
            return None
        guarded = self._guards[kind].apply(timestamps, float(arrival_s[-1]))
        if guarded.keep is not None:
            data, arrival_s = np.asarray(data)[guarded.keep], arrival_s[guarded.keep]
        if not guarded.timestamps.size:
            return None
        ts = self._stamps[kind].apply(guarded.timestamps)
        return Chunk(spec, ts, np.asarray(data, dtype=np.float64).reshape(len(ts), -1), arrival_s)

    def timestamp_stats(self) -> dict[str, TimestampStats]:
        return {self._by_kind[kind].source_id: g.stats for kind, g in self._guards.items()}

    # -- session -----------------------------------------------------------------------------
    async def _session(self) -> AsyncIterator[Chunk | Connected]:
        device, adv = await self.backend.find(self.address, self.scan_timeout_s)
        self.status.rssi_dbm = adv.rssi
        while not self.queue.empty():
            self.queue.get_nowait()
        lost: list[str] = []

        def on_disconnect(_client: BleakClient) -> None:
            lost.append("the link dropped")
            self._put((_LOST, lsl_now_s(), b""))

        client = self.backend.make_client(device, on_disconnect, self.connect_timeout_s)
        with translate_errors(self.address):
            await client.connect()
        self._client = client
        try:
            self.reset()
            with translate_errors(self.address):
                await self.start(client)
                markers = await self._poll_battery(client)
            yield Connected(f"mtu {client.mtu_size}")
            for m in markers:
                yield m
            async for chunk in self._drain(client, lost):
                yield chunk
        finally:
            self._client = None
            await self._disconnect(client)

    async def _drain(self, client: BleakClient, lost: list[str]) -> AsyncIterator[Chunk]:
        loop = asyncio.get_running_loop()
        last_data = next_tick = next_battery = loop.time()
        next_battery += self.battery_poll_s
        while True:
            now = loop.time()
            if now >= next_tick:
                next_tick = now + self.tick_s
                with translate_errors(self.address):
                    await self.tick(client)
            if now >= next_battery:
                next_battery = now + self.battery_poll_s
                with translate_errors(self.address):
                    for m in await self._poll_battery(client):
                        yield m
            wait_s = max(0.0, min(next_tick, next_battery, last_data + self.stall_timeout_s) - now)
            try:
                async with asyncio.timeout(wait_s):
                    key, arrival_s, payload = await self.queue.get()
            except TimeoutError:
                if loop.time() >= last_data + self.stall_timeout_s:
                    raise ConnectionLostError(
                        self.address, f"no data for {self.stall_timeout_s:g} s"
                    ) from None
                continue
            if key is _LOST:
                raise ConnectionLostError(self.address, lost[0] if lost else "the link dropped")
            last_data = loop.time()
            for chunk in self.decode(key, arrival_s, payload):
                yield chunk

    async def _poll_battery(self, client: BleakClient) -> list[Chunk]:
        if client.services.get_characteristic(hrs.BATTERY_LEVEL_UUID) is None:
            return []
        level = hrs.decode_battery_level(bytes(await client.read_gatt_char(hrs.BATTERY_LEVEL_UUID)))
        if not self.count("battery", level) or isinstance(level, MalformedPacket):
            return []
        marker = self.supervisor.battery(level, self.battery_low_pct)
        return [marker] if marker is not None else []

    async def _disconnect(self, client: BleakClient) -> None:
        try:
            await asyncio.wait_for(client.disconnect(), timeout=self.connect_timeout_s)
        except Exception as exc:  # the link may already be gone; nothing left to release
            log.debug("%s: disconnect: %s", self.address, exc)


class HeartRateStreams:
    """Heart Rate Service notifications → HR chunk and RR chunk (ms, one sample per beat).

    The HR stream carries the profile's choice of `HR` (bpm), `contact` (1/0, NaN = not
    sensed) and `energy` (kJ, NaN = not sent). RR beat times are back-projected from the
    arrival time; raw arrival is kept. Skin-contact changes become markers.
    """

    LABELS = ("HR", "contact", "energy")

    def __init__(self, driver: BleDriver) -> None:
        self.driver = driver
        self.contact: bool | None = None

    async def start(self, client: BleakClient, key: object = "hrs") -> None:
        await client.start_notify(hrs.MEASUREMENT_UUID, self.driver.notifier(key))

    def decode(self, arrival_s: float, payload: bytes) -> list[Chunk]:
        m = hrs.decode_measurement(payload)
        if not self.driver.count("hrs", m) or isinstance(m, MalformedPacket):
            return []
        out: list[Chunk | None] = []
        if m.contact is not None and m.contact != self.contact:
            if self.contact is not None:
                text = "skin contact" if m.contact else "skin contact lost"
                out.append(self.driver.supervisor.marker(arrival_s, text))
            self.contact = m.contact
        values = {
            "HR": float(m.hr_bpm),
            "contact": np.nan if m.contact is None else float(m.contact),
            "energy": np.nan if m.energy_kj is None else float(m.energy_kj),
        }
        arrival = np.array([arrival_s])
        spec = self.driver.spec("HR")
        if spec is not None:
            row = np.array([[values[label] for label in spec.channels]])
            out.append(self.driver.chunk("HR", arrival, row, arrival))
        if m.rr_counts:
            rr_ms = np.asarray(m.rr_ms)
            beats = rr_beat_times_s(arrival_s, rr_ms / 1000.0)
            out.append(
                self.driver.chunk(
                    "RR", beats, rr_ms.reshape(-1, 1), np.full(beats.shape, arrival_s)
                )
            )
        return [c for c in out if c is not None]
