"""Drivers count and skip malformed notifications; arbitrary bytes never raise."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from emostream.profiles import load_profile
from emostream.sources.ble import HeartRateStrap, Muse, PolarH10
from emostream.sources.e4_tcp import E4StreamingClient

POLAR = PolarH10(load_profile("polar-h10"), "F2:00:00:00:80:01")
MUSE = Muse(load_profile("muse"), "F3:00:00:00:80:02")
STRAP = HeartRateStrap(load_profile("hr-strap"), "F1:00:00:00:80:03")
E4 = E4StreamingClient(load_profile("empatica-e4"), "9ff167")


@settings(max_examples=300)
@given(st.sampled_from(["pmd", "hrs"]), st.binary(max_size=250), st.floats(0, 1e6))
def test_polar_decode_never_raises(key: str, payload: bytes, arrival_s: float) -> None:
    for chunk in POLAR.decode(key, arrival_s, payload):
        assert np.all(np.diff(chunk.timestamps) > 0)


@settings(max_examples=300)
@given(st.integers(0, 4), st.binary(min_size=18, max_size=22), st.floats(0, 1e6))
def test_muse_decode_never_raises(channel: int, payload: bytes, arrival_s: float) -> None:
    for chunk in MUSE.decode(channel, arrival_s, payload):
        assert chunk.data.shape == (12, 5)


@given(st.binary(max_size=40), st.floats(0, 1e6))
def test_strap_decode_never_raises(payload: bytes, arrival_s: float) -> None:
    STRAP.decode("hrs", arrival_s, payload)


@given(st.lists(st.binary(max_size=60), max_size=8))
def test_e4_decode_never_raises(lines: list[bytes]) -> None:
    E4._decode(lines, 100.0, 0.0)


def test_malformed_packets_are_counted_and_good_ones_kept() -> None:
    strap = HeartRateStrap(load_profile("hr-strap"), "F1:00:00:00:80:04")
    good = bytes.fromhex("10 3C 00 04")
    odd_rr = (b"\x10\x3c\x00", b"\x10\x3c\x00\x04\x00")
    payloads = (good, *odd_rr, b"", good)
    chunks = [c for p in payloads for c in strap.decode("hrs", 1.0, p)]
    assert strap.stats["hrs"].accepted == 2 and strap.stats["hrs"].rejected == 3
    assert sum(len(c) for c in chunks if c.spec.kind == "RR") == 2
    assert strap.stats["hrs"].reasons == {"odd number of RR bytes": 2, "empty payload": 1}
