"""Muse classic protocol (Muse 2016 / Muse 2): EEG notifications and control commands."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from emostream.protocols import MalformedPacket

CONTROL_UUID = "273e0001-4c4d-454d-96be-f03bac821358"
SERVICE_UUID = "0000fe8d-0000-1000-8000-00805f9b34fb"
#: EEG characteristics in channel order TP9, AF7, AF8, TP10, Right AUX
EEG_UUIDS = tuple(f"273e000{i}-4c4d-454d-96be-f03bac821358" for i in range(3, 8))
EEG_CHANNELS = ("TP9", "AF7", "AF8", "TP10", "AUX")

FS_HZ = 256.0
SAMPLES_PER_PACKET = 12
PACKET_BYTES = 20
UV_PER_COUNT = 0.48828125
RAW_OFFSET = 2048
INDEX_MODULO = 1 << 16


def encode_command(command: str) -> bytes:
    """`[len+1, ascii…, 0x0A]`: 'd' start, 'h' stop, 'k' keep-alive, 'p21' preset."""
    body = command.encode("ascii") + b"\n"
    return bytes([len(body)]) + body


START = encode_command("d")
STOP = encode_command("h")
KEEP_ALIVE = encode_command("k")
PRESET_P21 = encode_command("p21")


@dataclass(frozen=True, slots=True)
class EegPacket:
    """A 16-bit packet index and 12 raw 12-bit samples of one channel."""

    index: int
    raw: np.ndarray

    @property
    def microvolts(self) -> np.ndarray:
        return UV_PER_COUNT * (self.raw.astype(np.float64) - RAW_OFFSET)


def decode_eeg(payload: bytes) -> EegPacket | MalformedPacket:
    """Big-endian uint16 index, then 12 × 12-bit samples packed into 18 bytes."""
    data = bytes(payload)
    if len(data) != PACKET_BYTES:
        return MalformedPacket("muse", f"EEG packet must be {PACKET_BYTES} bytes", data)
    index = int.from_bytes(data[:2], "big")
    b = np.frombuffer(data[2:], dtype=np.uint8).astype(np.uint16).reshape(-1, 3)
    first = (b[:, 0] << 4) | (b[:, 1] >> 4)
    second = ((b[:, 1] & 0x0F) << 8) | b[:, 2]
    return EegPacket(index, np.column_stack([first, second]).reshape(-1))


def encode_eeg(index: int, raw: np.ndarray) -> bytes:
    """Inverse of `decode_eeg` (used by the virtual Muse)."""
    r = np.asarray(raw, dtype=np.uint16).reshape(-1, 2) & 0x0FFF
    packed = np.column_stack(
        [r[:, 0] >> 4, ((r[:, 0] & 0x0F) << 4) | (r[:, 1] >> 8), r[:, 1] & 0xFF]
    )
    return (index % INDEX_MODULO).to_bytes(2, "big") + packed.astype(np.uint8).tobytes()


class IndexUnwrapper:
    """Turns the wrapping uint16 packet index into a running count (assumes < 32768 lost)."""

    def __init__(self) -> None:
        self._last: int | None = None

    def reset(self) -> None:
        self._last = None

    def unwrap(self, index: int) -> int:
        if self._last is None:
            self._last = index
            return index
        delta = (index - self._last) % INDEX_MODULO
        if delta >= INDEX_MODULO // 2:
            delta -= INDEX_MODULO
        value = self._last + delta
        self._last = max(self._last, value)
        return value


@dataclass(frozen=True, slots=True)
class AssembledPacket:
    """All channels of one packet index: `microvolts` (12, channels), NaN where a channel is missing."""

    index: int
    microvolts: np.ndarray
    arrival_s: float
    n_missing: int


class PacketAssembler:
    """Assembles multichannel samples by packet index, not by notification order.

    A packet is complete when every channel delivered its index. Incomplete packets are
    released (NaN for the missing channels) once `max_pending` newer indices are waiting, so
    memory stays bounded. Indices at or before the last released one are duplicates: dropped.
    `arrival_s` is the earliest arrival among the packet's notifications.
    """

    def __init__(self, n_channels: int = len(EEG_UUIDS), max_pending: int = 8):
        self.n_channels = n_channels
        self.max_pending = max_pending
        self._pending: dict[int, tuple[np.ndarray, float, int]] = {}
        self._released: int | None = None
        self.n_duplicates = 0

    def reset(self) -> None:
        self._pending.clear()
        self._released = None

    @property
    def n_pending(self) -> int:
        """Packet indices waiting for a channel (at most `max_pending` after every `add`)."""
        return len(self._pending)

    def add(
        self, channel: int, index: int, packet: EegPacket, arrival_s: float
    ) -> list[AssembledPacket]:
        if self._released is not None and index <= self._released:
            self.n_duplicates += 1
            return []
        block, first_arrival, mask = self._pending.get(
            index, (np.full((SAMPLES_PER_PACKET, self.n_channels), np.nan), arrival_s, 0)
        )
        if mask >> channel & 1:
            self.n_duplicates += 1
            return []
        block[:, channel] = packet.microvolts
        self._pending[index] = (block, min(first_arrival, arrival_s), mask | 1 << channel)
        return self._release()

    def _release(self) -> list[AssembledPacket]:
        full = (1 << self.n_channels) - 1
        out: list[AssembledPacket] = []
        for index in sorted(self._pending):
            block, arrival, mask = self._pending[index]
            if mask != full and len(self._pending) <= self.max_pending:
                break
            del self._pending[index]
            missing = self.n_channels - bin(mask).count("1")
            out.append(AssembledPacket(index, block, arrival, missing))
            self._released = index
        return out
