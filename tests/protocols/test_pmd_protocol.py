from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from emostream.protocols import MalformedPacket
from emostream.protocols.pmd import (
    ACC_SETTINGS,
    ECG_SETTINGS,
    ControlResponse,
    Measurement,
    PmdFrame,
    decode_control_response,
    decode_features,
    decode_frame,
    encode_frame,
    encode_start,
    encode_stop,
    sample_times_ns,
    status_message,
)

ECG_VECTOR = bytes.fromhex("00 A0 7D C8 A5 8C 44 52 08 00 FF FF FF 10 00 00 38 FF FF D2 04 00")


def test_start_ecg_command_matches_the_reference_bytes() -> None:
    assert encode_start(Measurement.ECG, ECG_SETTINGS) == bytes.fromhex(
        "02 00 00 01 82 00 01 01 0E 00"
    )
    assert encode_stop(Measurement.ECG) == bytes.fromhex("03 00")
    assert encode_start(Measurement.ACC, ACC_SETTINGS)[:2] == bytes([2, 2])


def test_features_bitmap() -> None:
    assert decode_features(bytes.fromhex("0F 05 00")) == {Measurement.ECG, Measurement.ACC}


def test_control_responses_and_status_messages() -> None:
    ok = decode_control_response(bytes.fromhex("F0 02 00 00 00"))
    assert isinstance(ok, ControlResponse) and ok.ok and (ok.op, ok.measurement) == (2, 0)
    charger = decode_control_response(bytes.fromhex("F0 02 00 0D 00"))
    assert isinstance(charger, ControlResponse) and charger.status == 13
    assert "charger" in charger.message
    assert "already" in status_message(6)
    assert "disk" in status_message(14)
    assert "unknown" in status_message(99)


def test_ecg_vector() -> None:
    frame = decode_frame(ECG_VECTOR)
    assert isinstance(frame, PmdFrame)
    assert frame.measurement is Measurement.ECG
    assert frame.timestamp_ns == 599617071261187488
    assert frame.samples[:, 0].tolist() == [-1, 16, -200, 1234]
    times = sample_times_ns(frame.timestamp_ns, len(frame.samples), 130.0)
    assert times.tolist() == [
        599617071238110592, 599617071245802880, 599617071253495168, 599617071261187488,
    ]  # fmt: skip


def test_later_frames_spread_the_interval_evenly() -> None:
    times = sample_times_ns(1_000_000_000, 4, 130.0, previous_ns=960_000_000)
    assert times.tolist() == [970_000_000, 980_000_000, 990_000_000, 1_000_000_000]


@pytest.mark.parametrize("frame_type", [0, 1, 2])
def test_acc_frames_roundtrip(frame_type: int) -> None:
    limit = {0: 127, 1: 32767, 2: 8_388_607}[frame_type]
    xyz = np.array([[1, -2, 3], [-limit, limit, 0]])
    frame = decode_frame(encode_frame(Measurement.ACC, 123, frame_type, xyz))
    assert isinstance(frame, PmdFrame)
    np.testing.assert_array_equal(frame.samples, xyz)


@pytest.mark.parametrize(
    "payload",
    [
        "",
        "00 01",
        "09" + " 00" * 12,
        "00 A0 7D C8 A5 8C 44 52 08 80 01 02 03",
        "00 A0 7D C8 A5 8C 44 52 08 00 01 02",
        "02 A0 7D C8 A5 8C 44 52 08 01 01 00 02 00",  # ACC, 16 bit: two values of an x/y/z
    ],
)
def test_malformed_frames(payload: str) -> None:
    assert isinstance(decode_frame(bytes.fromhex(payload)), MalformedPacket)


@given(st.binary(max_size=260))
def test_decoders_never_raise(payload: bytes) -> None:
    for decode in (decode_frame, decode_control_response, decode_features):
        result = decode(payload)
        assert result is not None
