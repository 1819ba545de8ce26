"""Virtual BLE peripherals hosted on a `VirtualAir`: heart-rate strap, Polar H10, Muse.

Each peripheral is a bumble device with real GATT services that advertises its name, accepts
connections, answers its control protocol and notifies data at the device's own sample rate.
Without a `wearer`, sample values are counters (ECG µV = sample number, Muse raw = sample
number + 256·channel, strap RR from a fixed cycle), so a receiver can check for lost or
duplicated samples. With a `WearerSignals`, they send the synthetic wearer's beats, ECG and
EEG. The log of what was sent (`sent`) holds true emission times on the LSL clock.

`go_away()` / `come_back()` model the wearer walking out of range and back: connections drop,
advertising stops, and the device keeps sampling (the samples in between are lost).
"""

from __future__ import annotations

import abc
import asyncio
import random
from dataclasses import dataclass

import numpy as np
from bumble import gatt
from bumble.core import UUID, AdvertisingData
from bumble.device import Connection
from bumble.profiles.battery_service import BatteryService
from bumble.profiles.heart_rate_service import HeartRateService

from emostream.core.clock import lsl_now_s
from emostream.core.registry import Registry
from emostream.protocols import muse, pmd
from emostream.testing.virtual_air import VirtualAir, bumble_device
from emostream.testing.wearer import WearerSignals

_NOTIFY = gatt.Characteristic.Properties.NOTIFY
#: beat intervals (1/1024 s) of a device without a wearer: a fixed cycle
RR_CYCLE_COUNTS = tuple(800 + 4 * i for i in range(50))


@dataclass(frozen=True, slots=True)
class SentPacket:
    """One notification as emitted: which stream, first sample number, count, true LSL time."""

    stream: str
    first_sample: int
    n_samples: int
    t_lsl_s: float


class VirtualPeripheral(abc.ABC):
    """Base: power, advertising, presence, a paced emission loop and a log of sent packets."""

    #: seconds between emissions at speed 1 (subclasses set it)
    period_s: float = 1.0
    DEFAULT_NAME: str = ""
    DEFAULT_ADDRESS: str = ""

    def __init__(
        self, air: VirtualAir, name: str | None = None, address: str | None = None, *,
        speed: float = 1.0, battery_pct: int = 85, seed: int = 0, keep_log: bool = True,
        wearer: WearerSignals | None = None,
    ) -> None:  # fmt: skip
        self.air = air
        self.name = name or self.DEFAULT_NAME
        self.address = address or self.DEFAULT_ADDRESS
        self.speed = speed
        self.battery_pct = battery_pct
        self.rng = random.Random(seed)
        self.keep_log = keep_log
        self.wearer = wearer
        self.sent: list[SentPacket] = []
        self.n_connections = 0
        self.device = bumble_device(air.link, self.name, self.address)
        self.device.on(self.device.EVENT_CONNECTION, self._on_connection)
        self.present = False
        self._task: asyncio.Task[None] | None = None
        self._t0_loop = 0.0
        self._t0_lsl = 0.0

    # -- GATT ------------------------------------------------------------------------------
    @abc.abstractmethod
    def services(self) -> list[gatt.Service]:
        """The GATT services this device hosts."""

    def service_uuids(self) -> list[UUID]:
        return []

    def _battery_service(self) -> BatteryService:
        return BatteryService(lambda _connection: self.battery_pct)

    # -- presence ----------------------------------------------------------------------------
    async def start(self) -> None:
        await self.device.power_on()
        self.device.add_services(self.services())
        ad = [(AdvertisingData.COMPLETE_LOCAL_NAME, self.name.encode())]
        uuids16 = [u for u in self.service_uuids() if len(u.uuid_bytes) == 2]
        if uuids16:
            ad.append((AdvertisingData.COMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS,
                       b"".join(u.to_bytes() for u in uuids16)))  # fmt: skip
        self.device.advertising_data = bytes(AdvertisingData(ad))
        loop = asyncio.get_running_loop()
        self._t0_loop, self._t0_lsl = loop.time(), lsl_now_s()
        self._task = asyncio.create_task(self._emit_forever(), name=f"virtual {self.name}")
        await self.come_back()

    async def come_back(self) -> None:
        """Advertise again (connectable)."""
        self.present = True
        await self.device.start_advertising(advertising_interval_min=20.0, auto_restart=False)

    async def go_away(self) -> None:
        """Drop every connection and stop advertising; sampling continues unheard."""
        self.present = False
        if self.device.is_advertising:
            await self.device.stop_advertising()
        for connection in list(self.device.connections.values()):
            await connection.disconnect()
        self.on_all_disconnected()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await self.go_away()
        await self.device.power_off()

    def _on_connection(self, connection: Connection) -> None:
        self.n_connections += 1
        connection.on(connection.EVENT_DISCONNECTION, lambda _reason: self.on_all_disconnected())

    def on_all_disconnected(self) -> None:  # noqa: B027 - optional hook
        """Reset streaming state when the central leaves (real devices stop streaming)."""

    # -- emission --------------------------------------------------------------------------
    def true_time_s(self, loop_time_s: float) -> float:
        return self._t0_lsl + (loop_time_s - self._t0_loop)

    def log(self, stream: str, first: int, n: int, t_lsl_s: float) -> None:
        if self.keep_log:
            self.sent.append(SentPacket(stream, first, n, t_lsl_s))

    async def _emit_forever(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time()
        tick = 0
        while True:
            deadline += self.period_s / self.speed
            send_at = deadline + self.send_delay_s()
            await asyncio.sleep(max(0.0, send_at - loop.time()))
            await self.emit(tick, self.true_time_s(deadline))
            tick += 1

    def send_delay_s(self) -> float:
        """Extra delay of this emission after its nominal time (jitter models override it)."""
        return 0.0

    @abc.abstractmethod
    async def emit(self, tick: int, t_true_s: float) -> None:
        """Produce one period's data; notify it if a central listens."""

    def connection_mtu(self) -> int:
        return min((c.att_mtu for c in self.device.connections.values()), default=23)

    def rr_counts(self, beat: int) -> int:
        """Interval before beat `beat + 1` in 1/1024 s: the wearer's, or a fixed cycle."""
        if self.wearer is not None:
            return round(self.wearer.rr_interval_s(beat) * 1024)
        return RR_CYCLE_COUNTS[beat % len(RR_CYCLE_COUNTS)]


# ---------------------------------------------------------------------------------------------


class VirtualHeartRateStrap(VirtualPeripheral):
    """Standard Heart Rate Service (bumble's profile) + Battery Service; one beat per notification."""

    DEFAULT_NAME = "HRM-Pro 1234"
    DEFAULT_ADDRESS = "F1:00:00:00:00:01"

    def __init__(self, air: VirtualAir, **kwargs) -> None:
        super().__init__(air, **kwargs)
        self.hrs = HeartRateService(
            read_heart_rate_measurement=lambda _c: HeartRateService.HeartRateMeasurement(60),
            body_sensor_location=HeartRateService.BodySensorLocation.CHEST,
        )
        self.beat = 0
        self.period_s = self.rr_counts(0) / 1024

    def services(self) -> list[gatt.Service]:
        return [self.hrs, self._battery_service()]

    def service_uuids(self) -> list[UUID]:
        return [gatt.GATT_HEART_RATE_SERVICE]

    async def emit(self, tick: int, t_true_s: float) -> None:
        counts = self.rr_counts(self.beat)
        measurement = HeartRateService.HeartRateMeasurement(
            heart_rate=round(60 * 1024 / counts),
            sensor_contact_detected=True,
            energy_expended=self.beat // 10 if self.beat % 10 == 0 else None,
            rr_intervals=[counts / 1024],
        )
        self.log("rr", self.beat, 1, t_true_s)
        self.beat += 1
        self.period_s = self.rr_counts(self.beat) / 1024
        await self.device.notify_subscribers(
            self.hrs.heart_rate_measurement_characteristic, measurement
        )


# ---------------------------------------------------------------------------------------------
class VirtualPolarH10(VirtualPeripheral):
    """Polar H10: HRS + Battery + PMD (control point with status codes, ECG and ACC frames).

    The device clock counts ns since 2000 from `clock_start_ns` and runs `drift_ppm` fast.
    Frames are sized to the connection MTU, as the real H10 does. `in_charger` makes every
    START answer status 13.
    """

    ECG_FS_HZ = 130.0
    ACC_FS_HZ = 200.0

    DEFAULT_NAME = "Polar H10 A1B2C3D4"
    DEFAULT_ADDRESS = "F2:00:00:00:00:02"

    def __init__(
        self, air: VirtualAir, *, drift_ppm: float = 0.0,
        clock_start_ns: int = 599_617_071_261_187_488, in_charger: bool = False, **kwargs,
    ) -> None:  # fmt: skip
        super().__init__(air, **kwargs)
        self.drift_ppm = drift_ppm
        self.clock_start_ns = clock_start_ns
        self.in_charger = in_charger
        self.period_s = 0.02  # frames leave within one 20 ms connection interval of filling
        self.streaming: set[pmd.Measurement] = set()
        self.n_samples = {pmd.Measurement.ECG: 0, pmd.Measurement.ACC: 0}
        self._pending = {pmd.Measurement.ECG: 0.0, pmd.Measurement.ACC: 0.0}
        self.hrs = HeartRateService(
            read_heart_rate_measurement=lambda _c: HeartRateService.HeartRateMeasurement(60)
        )
        self.control: gatt.Characteristic[bytes] = gatt.Characteristic(
            pmd.CONTROL_UUID,
            gatt.Characteristic.Properties.READ | gatt.Characteristic.Properties.WRITE
            | gatt.Characteristic.Properties.INDICATE,
            gatt.Characteristic.READABLE | gatt.Characteristic.WRITEABLE,
            gatt.CharacteristicValue(read=lambda _c: bytes.fromhex("0F 05 00"), write=self._on_control),
        )  # fmt: skip
        self.data = gatt.Characteristic(
            pmd.DATA_UUID, _NOTIFY, gatt.Characteristic.Permissions(0), b""
        )
        self._beat = 0
        self._beat_due_s = 0.0

    def services(self) -> list[gatt.Service]:
        return [
            self.hrs,
            self._battery_service(),
            gatt.Service(pmd.SERVICE_UUID, [self.control, self.data]),
        ]

    def service_uuids(self) -> list[UUID]:
        return [gatt.GATT_HEART_RATE_SERVICE]

    def on_all_disconnected(self) -> None:
        self.streaming.clear()

    def _on_control(self, connection: Connection, value: bytes) -> None:
        op, kind = (value[0], value[1]) if len(value) >= 2 else (0, 0)
        try:
            measurement = pmd.Measurement(kind)
        except ValueError:
            status = 2
        else:
            if self.in_charger:
                status = pmd.IN_CHARGER
            elif op == pmd.Op.START:
                status = pmd.ALREADY_IN_STATE if measurement in self.streaming else pmd.SUCCESS
                self.streaming.add(measurement)
            elif op == pmd.Op.STOP:
                status = pmd.SUCCESS if measurement in self.streaming else pmd.ALREADY_IN_STATE
                self.streaming.discard(measurement)
            else:
                status = 1
        response = bytes([pmd.CONTROL_RESPONSE, op, kind, status, 0])
        asyncio.get_running_loop().create_task(
            self.device.indicate_subscriber(connection, self.control, response)
        )

    def device_ns(self, t_true_s: float) -> int:
        elapsed_s = (t_true_s - self._t0_lsl) * (1 + self.drift_ppm * 1e-6)
        return self.clock_start_ns + round(elapsed_s * 1e9)

    def _samples_per_frame(self, measurement: pmd.Measurement) -> int:
        per_sample = 3 if measurement is pmd.Measurement.ECG else 6
        return max(1, (self.connection_mtu() - 3 - 10) // per_sample)

    async def emit(self, tick: int, t_true_s: float) -> None:
        await self._emit_hr(t_true_s)
        for measurement, fs in (
            (pmd.Measurement.ECG, self.ECG_FS_HZ),
            (pmd.Measurement.ACC, self.ACC_FS_HZ),
        ):
            # the device samples at fs on its own (drifting) clock
            self._pending[measurement] += self.period_s * fs * (1 + self.drift_ppm * 1e-6)
            n_frame = self._samples_per_frame(measurement)
            while self._pending[measurement] >= n_frame:
                self._pending[measurement] -= n_frame
                await self._emit_frame(measurement, n_frame, fs, t_true_s)

    async def _emit_frame(
        self, measurement: pmd.Measurement, n: int, fs: float, t_true_s: float
    ) -> None:
        first = self.n_samples[measurement]
        self.n_samples[measurement] += n
        # the frame's last sample time: pending samples are still in the future
        t_last = t_true_s - self._pending[measurement] / (fs * (1 + self.drift_ppm * 1e-6))
        if measurement not in self.streaming:
            return
        counter = np.arange(first, first + n)
        if measurement is pmd.Measurement.ECG:
            if self.wearer is None:
                ecg_uv = counter.reshape(-1, 1) % (1 << 23)
            else:
                ecg_mv = self.wearer.samples("ECG", fs, first, n)
                ecg_uv = np.round(ecg_mv * 1000.0).astype(np.int64)
            frame = pmd.encode_frame(measurement, self.device_ns(t_last), 0, ecg_uv)
        else:
            mg = counter % 1000 if self.wearer is None else np.zeros(n, dtype=np.int64)
            xyz = np.column_stack([mg, -mg, np.full(n, 1000)])
            frame = pmd.encode_frame(measurement, self.device_ns(t_last), 1, xyz)
        self.log(measurement.name.lower(), first, n, t_last)
        await self.device.notify_subscribers(self.data, frame)

    async def _emit_hr(self, t_true_s: float) -> None:
        self._beat_due_s += self.period_s
        counts = self.rr_counts(self._beat)
        if self._beat_due_s < counts / 1024:
            return
        self._beat_due_s -= counts / 1024
        self.log("rr", self._beat, 1, t_true_s)
        self._beat += 1
        measurement = HeartRateService.HeartRateMeasurement(
            round(60 * 1024 / counts), True, None, [counts / 1024]
        )
        await self.device.notify_subscribers(
            self.hrs.heart_rate_measurement_characteristic, measurement
        )


# ---------------------------------------------------------------------------------------------
class VirtualMuse(VirtualPeripheral):
    """Muse classic: control characteristic (d/h/k/p21) and five EEG characteristics.

    Streaming starts on 'd', stops on 'h' and stops by itself when no keep-alive ('k') came
    for `keepalive_timeout_s`. Each packet's five notifications go out in random order,
    delayed by `jitter_s` ± `jitter_s` (uniform) after the packet's true time.
    """

    DEFAULT_NAME = "Muse-1A2B"
    DEFAULT_ADDRESS = "F3:00:00:00:00:03"

    def __init__(
        self, air: VirtualAir, *, jitter_s: float = 0.0, first_index: int = 65_500,
        keepalive_timeout_s: float = 10.0, **kwargs,
    ) -> None:  # fmt: skip
        super().__init__(air, **kwargs)
        self.period_s = muse.SAMPLES_PER_PACKET / muse.FS_HZ
        self.jitter_s = jitter_s
        self.keepalive_timeout_s = keepalive_timeout_s
        self.index = first_index
        self.n_samples = 0
        self.streaming = False
        self.commands: list[bytes] = []
        self._last_keepalive_s = 0.0
        props = gatt.Characteristic.Properties
        self.control: gatt.Characteristic[bytes] = gatt.Characteristic(
            muse.CONTROL_UUID, props.WRITE_WITHOUT_RESPONSE | props.WRITE | props.NOTIFY,
            gatt.Characteristic.WRITEABLE, gatt.CharacteristicValue(write=self._on_control),
        )  # fmt: skip
        self.eeg = [
            gatt.Characteristic(u, _NOTIFY, gatt.Characteristic.Permissions(0), b"")
            for u in muse.EEG_UUIDS
        ]

    def services(self) -> list[gatt.Service]:
        return [self._battery_service(), gatt.Service(muse.SERVICE_UUID, [self.control, *self.eeg])]

    def service_uuids(self) -> list[UUID]:
        return [UUID.from_16_bits(0xFE8D)]

    def on_all_disconnected(self) -> None:
        self.streaming = False

    def _on_control(self, _connection: Connection, value: bytes) -> None:
        self.commands.append(bytes(value))
        now = asyncio.get_running_loop().time()
        if value == muse.START:
            self.streaming = True
            self._last_keepalive_s = now
        elif value == muse.STOP:
            self.streaming = False
        elif value == muse.KEEP_ALIVE:
            self._last_keepalive_s = now

    def send_delay_s(self) -> float:
        return (
            self.jitter_s + self.rng.uniform(-self.jitter_s, self.jitter_s)
            if self.jitter_s
            else 0.0
        )

    async def emit(self, tick: int, t_true_s: float) -> None:
        first = self.n_samples
        index = self.index
        self.n_samples += muse.SAMPLES_PER_PACKET
        self.index = (self.index + 1) % muse.INDEX_MODULO
        loop_now = asyncio.get_running_loop().time()
        if (
            self.streaming
            and loop_now - self._last_keepalive_s > self.keepalive_timeout_s / self.speed
        ):
            self.streaming = False
        if not self.streaming:
            return
        # time of the packet's last sample
        self.log("eeg", first, muse.SAMPLES_PER_PACKET, t_true_s)
        order = list(range(len(self.eeg)))
        self.rng.shuffle(order)
        raw_all = self._raw_eeg(first)
        for channel in order:
            raw = raw_all[:, channel]
            await self.device.notify_subscribers(self.eeg[channel], muse.encode_eeg(index, raw))

    def _raw_eeg(self, first: int) -> np.ndarray:
        """One packet of 12-bit samples for the five channels (TP9, AF7, AF8, TP10, AUX)."""
        n = muse.SAMPLES_PER_PACKET
        if self.wearer is None:
            return (np.arange(first, first + n)[:, None] + 256 * np.arange(5)) % 4096
        eeg_uv = self.wearer.samples("EEG", muse.FS_HZ, first, n)
        raw = np.full((n, 5), muse.RAW_OFFSET, dtype=np.int64)
        raw[:, : eeg_uv.shape[1]] = np.round(eeg_uv / muse.UV_PER_COUNT) + muse.RAW_OFFSET
        return np.clip(raw, 0, 4095)


#: profile `device.driver` → virtual peripheral class
PERIPHERALS: Registry[type[VirtualPeripheral]] = Registry("virtual BLE device")
PERIPHERALS.register("hr-strap", VirtualHeartRateStrap)
PERIPHERALS.register("polar-h10", VirtualPolarH10)
PERIPHERALS.register("muse", VirtualMuse)
