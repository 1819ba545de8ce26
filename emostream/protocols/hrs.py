"""Bluetooth SIG Heart Rate Service: Heart Rate Measurement (0x2A37) notifications."""

from __future__ import annotations

from dataclasses import dataclass

from emostream.protocols import MalformedPacket

SERVICE_UUID = "0000180d-0000-1000-8000-00805f9b34fb"
MEASUREMENT_UUID = "00002a37-0000-1000-8000-00805f9b34fb"
BATTERY_LEVEL_UUID = "00002a19-0000-1000-8000-00805f9b34fb"

#: RR intervals are counted in 1/1024 s
RR_COUNTS_PER_S = 1024

_HR_UINT16 = 0x01
_CONTACT_DETECTED = 0x02
_CONTACT_SUPPORTED = 0x04
_ENERGY_PRESENT = 0x08
_RR_PRESENT = 0x10


@dataclass(frozen=True, slots=True)
class HeartRateMeasurement:
    """One notification: heart rate, skin contact (None = not sensed), energy, raw RR counts."""

    hr_bpm: int
    contact: bool | None
    energy_kj: int | None
    rr_counts: tuple[int, ...]

    @property
    def rr_ms(self) -> tuple[float, ...]:
        """RR intervals in milliseconds, exact (no rounding to whole ms)."""
        return tuple(c * 1000.0 / RR_COUNTS_PER_S for c in self.rr_counts)


def decode_measurement(payload: bytes) -> HeartRateMeasurement | MalformedPacket:
    """Decode a Heart Rate Measurement value (all fields little-endian)."""
    data = bytes(payload)
    if not data:
        return MalformedPacket("hrs", "empty payload", data)
    flags = data[0]
    offset = 1
    hr_size = 2 if flags & _HR_UINT16 else 1
    if len(data) < offset + hr_size:
        return MalformedPacket("hrs", "payload ends inside the heart-rate field", data)
    hr_bpm = int.from_bytes(data[offset : offset + hr_size], "little")
    offset += hr_size
    energy_kj = None
    if flags & _ENERGY_PRESENT:
        if len(data) < offset + 2:
            return MalformedPacket("hrs", "payload ends inside the energy field", data)
        energy_kj = int.from_bytes(data[offset : offset + 2], "little")
        offset += 2
    rr_counts: tuple[int, ...] = ()
    if flags & _RR_PRESENT:
        rest = data[offset:]
        if len(rest) % 2:
            return MalformedPacket("hrs", "odd number of RR bytes", data)
        rr_counts = tuple(int.from_bytes(rest[i : i + 2], "little") for i in range(0, len(rest), 2))
    elif len(data) > offset:
        return MalformedPacket("hrs", "trailing bytes without the RR flag", data)
    contact = bool(flags & _CONTACT_DETECTED) if flags & _CONTACT_SUPPORTED else None
    return HeartRateMeasurement(hr_bpm, contact, energy_kj, rr_counts)


def decode_battery_level(payload: bytes) -> int | MalformedPacket:
    """Battery Level (0x2A19): one byte, percent 0..100."""
    data = bytes(payload)
    if len(data) != 1 or data[0] > 100:
        return MalformedPacket("battery", "battery level must be one byte 0..100", data)
    return data[0]
