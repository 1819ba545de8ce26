from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emostream.protocols import MalformedPacket, PacketStats
from emostream.protocols.hrs import HeartRateMeasurement, decode_battery_level, decode_measurement

# PROTOCOLS.md §1: payload → (HR, contact, EE kJ, RR ms)
VECTORS = [
    ("00 48", 72, None, None, ()),
    ("10 3C 00 04", 60, None, None, (1000.0,)),
    ("16 4B 33 03 20 03", 75, True, None, (799.8046875, 781.25)),
    ("19 50 00 2C 01 00 03", 80, None, 300, (750.0,)),
    (
        "10 3E E4 03 F5 03 0A 04 1A 04 2C 04 3A 04 4B 04 5D 04 6B 04",
        62,
        None,
        None,
        (972.65625, 989.2578125, 1009.765625, 1025.390625, 1042.96875, 1056.640625,
         1073.2421875, 1090.8203125, 1104.4921875),
    ),
]  # fmt: skip


@pytest.mark.parametrize(("payload", "hr", "contact", "energy", "rr_ms"), VECTORS)
def test_vectors(payload: str, hr: int, contact, energy, rr_ms) -> None:
    m = decode_measurement(bytes.fromhex(payload))
    assert isinstance(m, HeartRateMeasurement)
    assert (m.hr_bpm, m.contact, m.energy_kj, m.rr_ms) == (hr, contact, energy, rr_ms)


def test_raw_rr_counts_are_kept() -> None:
    m = decode_measurement(bytes.fromhex("16 4B 33 03 20 03"))
    assert isinstance(m, HeartRateMeasurement)
    assert m.rr_counts == (0x0333, 0x0320)


@pytest.mark.parametrize("payload", ["", "01 48", "08 48 01", "10 48 01", "00 48 00"], ids=str)
def test_malformed_is_returned_not_raised(payload: str) -> None:
    assert isinstance(decode_measurement(bytes.fromhex(payload)), MalformedPacket)


@given(st.binary(max_size=40))
def test_never_raises_on_arbitrary_bytes(payload: bytes) -> None:
    stats = PacketStats()
    result = decode_measurement(payload)
    if isinstance(result, MalformedPacket):
        stats.reject(result)
    else:
        stats.accept()
        assert 0 <= result.hr_bpm <= 0xFFFF
    assert stats.accepted + stats.rejected == 1


@given(st.binary(max_size=4))
def test_battery_never_raises(payload: bytes) -> None:
    result = decode_battery_level(payload)
    assert isinstance(result, MalformedPacket) or 0 <= result <= 100
