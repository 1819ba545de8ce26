from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from emostream.protocols import MalformedPacket
from emostream.protocols.muse import (
    KEEP_ALIVE,
    PRESET_P21,
    START,
    STOP,
    EegPacket,
    IndexUnwrapper,
    PacketAssembler,
    decode_eeg,
    encode_eeg,
)

VECTOR = bytes.fromhex("12 34 80 08 01 7F F0 00 FF F8 00 80 08 00 80 08 00 80 08 64")


def test_vector() -> None:
    packet = decode_eeg(VECTOR)
    assert isinstance(packet, EegPacket)
    assert packet.index == 4660
    assert packet.raw.tolist() == [
        2048,
        2049,
        2047,
        0,
        4095,
        2048,
        2048,
        2048,
        2048,
        2048,
        2048,
        2148,
    ]
    assert packet.microvolts.tolist() == [
        0, 0.48828125, -0.48828125, -1000, 999.51171875, 0, 0, 0, 0, 0, 0, 48.828125,
    ]  # fmt: skip
    assert encode_eeg(packet.index, packet.raw) == VECTOR


def test_commands() -> None:
    assert bytes.fromhex("02 64 0A") == START
    assert bytes.fromhex("02 68 0A") == STOP
    assert bytes.fromhex("02 6B 0A") == KEEP_ALIVE
    assert bytes.fromhex("04 70 32 31 0A") == PRESET_P21


@given(st.binary(max_size=40))
def test_never_raises(payload: bytes) -> None:
    result = decode_eeg(payload)
    assert isinstance(result, (EegPacket, MalformedPacket))
    if isinstance(result, EegPacket):
        assert result.raw.shape == (12,) and int(result.raw.max()) < 4096


def test_unwrap_across_the_uint16_boundary() -> None:
    u = IndexUnwrapper()
    assert [u.unwrap(i) for i in (65534, 65535, 0, 1, 65535)] == [65534, 65535, 65536, 65537, 65535]


def _packet(value: int) -> EegPacket:
    return EegPacket(0, np.full(12, value, dtype=np.uint16))


def test_assembles_by_index_not_arrival_order() -> None:
    asm = PacketAssembler(n_channels=2)
    assert asm.add(1, 11, _packet(2049), 0.2) == []  # index 11 arrives first
    assert asm.add(0, 10, _packet(2050), 0.3) == []
    assert asm.add(0, 11, _packet(2051), 0.25) == []  # 11 complete but 10 still waits
    out = asm.add(1, 10, _packet(2052), 0.4)
    assert [p.index for p in out] == [10, 11]
    assert out[0].microvolts[0].tolist() == [0.9765625, 1.953125]
    assert out[1].arrival_s == 0.2
    assert asm.add(0, 10, _packet(2048), 0.5) == [] and asm.n_duplicates == 1


def test_incomplete_packets_are_released_when_too_many_wait() -> None:
    asm = PacketAssembler(n_channels=2, max_pending=2)
    released = []
    for index in range(5):
        released += asm.add(0, index, _packet(2048), float(index))
    assert [p.index for p in released] == [0, 1, 2]
    assert all(p.n_missing == 1 and np.isnan(p.microvolts[:, 1]).all() for p in released)
