"""Polar Measurement Data (PMD): control-point commands and responses, ECG/ACC data frames."""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np

from emostream.protocols import MalformedPacket

SERVICE_UUID = "fb005c80-02e7-f387-1cad-8acd2d8df0c8"
CONTROL_UUID = "fb005c81-02e7-f387-1cad-8acd2d8df0c8"
DATA_UUID = "fb005c82-02e7-f387-1cad-8acd2d8df0c8"

#: PMD timestamps count nanoseconds since 2000-01-01T00:00:00 UTC
EPOCH_2000_UNIX_NS = 946_684_800_000_000_000

FEATURES_RESPONSE = 0x0F
CONTROL_RESPONSE = 0xF0
COMPRESSED_BIT = 0x80


class Op(enum.IntEnum):
    GET_SETTINGS = 1
    START = 2
    STOP = 3


class Measurement(enum.IntEnum):
    ECG = 0
    PPG = 1
    ACC = 2


class Setting(enum.IntEnum):
    SAMPLE_RATE = 0
    RESOLUTION = 1
    RANGE = 2


#: START settings used by emostream: ECG 130 Hz / 14 bit; ACC 200 Hz / 16 bit / ±8 g
ECG_SETTINGS = {Setting.SAMPLE_RATE: 130, Setting.RESOLUTION: 14}
ACC_SETTINGS = {Setting.SAMPLE_RATE: 200, Setting.RESOLUTION: 16, Setting.RANGE: 8}

STATUS_MESSAGES = {
    0: "success",
    1: "invalid op code",
    2: "invalid measurement type",
    3: "measurement type not supported by this device",
    4: "invalid length",
    5: "invalid parameter",
    6: "already in that state (the stream is already running or already stopped)",
    7: "invalid resolution",
    8: "invalid sample rate",
    9: "invalid range",
    10: "invalid MTU: the connection MTU is too small for this stream",
    11: "invalid number of channels",
    12: "invalid state",
    13: "the device is in its charger; take it out of the charger and put the strap on",
    14: "the device's disk is full; delete recordings on the device",
}

SUCCESS = 0
ALREADY_IN_STATE = 6
IN_CHARGER = 13
DISK_FULL = 14


def status_message(status: int) -> str:
    return STATUS_MESSAGES.get(status, f"unknown PMD error code {status}")


def encode_start(measurement: Measurement, settings: dict[Setting, int]) -> bytes:
    """START command: op, type, then each setting as (id, count=1, uint16 LE value)."""
    body = bytearray([Op.START, measurement])
    for setting, value in settings.items():
        body += bytes([setting, 1]) + int(value).to_bytes(2, "little")
    return bytes(body)


def encode_stop(measurement: Measurement) -> bytes:
    return bytes([Op.STOP, measurement])


def decode_features(payload: bytes) -> frozenset[Measurement] | MalformedPacket:
    """Control-point read: `0F <bitmap…>`; bit n set = measurement type n is supported."""
    data = bytes(payload)
    if len(data) < 2 or data[0] != FEATURES_RESPONSE:
        return MalformedPacket("pmd", "feature read must start with 0x0F and hold a bitmap", data)
    bitmap = int.from_bytes(data[1:], "little")
    return frozenset(m for m in Measurement if bitmap >> m & 1)


@dataclass(frozen=True, slots=True)
class ControlResponse:
    op: int
    measurement: int
    status: int
    more: bool
    params: bytes

    @property
    def ok(self) -> bool:
        return self.status == SUCCESS

    @property
    def message(self) -> str:
        return status_message(self.status)


def decode_control_response(payload: bytes) -> ControlResponse | MalformedPacket:
    """`F0 <op> <type> <status> [<more> [params]]`."""
    data = bytes(payload)
    if len(data) < 4 or data[0] != CONTROL_RESPONSE:
        return MalformedPacket("pmd", "control response must start with 0xF0, 4+ bytes", data)
    more = bool(data[4]) if len(data) > 4 else False
    return ControlResponse(data[1], data[2], data[3], more, data[5:])


@dataclass(frozen=True, slots=True)
class PmdFrame:
    """One data notification: `samples` (n, channels) int64; `timestamp_ns` stamps the last one."""

    measurement: Measurement
    timestamp_ns: int
    frame_type: int
    samples: np.ndarray


#: uncompressed frame layouts: measurement → {frame_type: (bytes per value, channels)}
_LAYOUTS = {
    Measurement.ECG: {0: (3, 1)},
    Measurement.ACC: {0: (1, 3), 1: (2, 3), 2: (3, 3)},
}


def _signed_le(raw: np.ndarray, width: int) -> np.ndarray:
    """(n, width) uint8 little-endian groups → signed int64."""
    value = np.zeros(raw.shape[0], dtype=np.int64)
    for i in range(width):
        value |= raw[:, i].astype(np.int64) << (8 * i)
    sign = np.int64(1) << (8 * width - 1)
    return (value ^ sign) - sign


def decode_frame(payload: bytes) -> PmdFrame | MalformedPacket:
    """Decode an uncompressed ECG or ACC frame: type, uint64 LE ns timestamp, frame type, samples."""
    data = bytes(payload)
    if len(data) < 10:
        return MalformedPacket("pmd", "frame shorter than its 10-byte header", data)
    try:
        measurement = Measurement(data[0])
    except ValueError:
        return MalformedPacket("pmd", f"unknown measurement type {data[0]}", data)
    frame_type = data[9]
    if frame_type & COMPRESSED_BIT:
        return MalformedPacket("pmd", "compressed frames are not supported", data)
    layout = _LAYOUTS.get(measurement, {}).get(frame_type)
    if layout is None:
        return MalformedPacket(
            "pmd", f"unsupported frame type {frame_type} for {measurement.name}", data
        )
    width, channels = layout
    body = data[10:]
    step = width * channels
    if not body or len(body) % step:
        return MalformedPacket("pmd", f"sample bytes not a multiple of {step}", data)
    raw = np.frombuffer(body, dtype=np.uint8).reshape(-1, width)
    samples = _signed_le(raw, width).reshape(-1, channels)
    return PmdFrame(measurement, int.from_bytes(data[1:9], "little"), frame_type, samples)


def encode_frame(
    measurement: Measurement, timestamp_ns: int, frame_type: int, samples: np.ndarray
) -> bytes:
    """Inverse of `decode_frame` (used by the virtual H10)."""
    width, _ = _LAYOUTS[measurement][frame_type]
    values = np.asarray(samples, dtype=np.int64).reshape(-1)
    body = b"".join(int(v).to_bytes(width, "little", signed=True) for v in values)
    return (
        bytes([measurement]) + int(timestamp_ns).to_bytes(8, "little") + bytes([frame_type]) + body
    )


def sample_times_ns(
    timestamp_ns: int, n_samples: int, fs_hz: float, previous_ns: int | None = None
) -> np.ndarray:
    """Per-sample device times (int64 ns) for a frame whose LAST sample is at `timestamp_ns`.

    First frame: step back by 1e9/fs. Later frames: spread (timestamp − previous) evenly.
    Offsets are computed in float64 (as every reference implementation does); the last sample
    keeps the exact integer timestamp.
    """
    k = np.arange(n_samples - 1, -1, -1, dtype=np.float64)
    step_ns = 1e9 / fs_hz if previous_ns is None else (timestamp_ns - previous_ns) / n_samples
    times = np.rint(np.float64(timestamp_ns) - k * step_ns).astype(np.int64)
    if n_samples:
        times[-1] = timestamp_ns
    return times
