from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emostream.protocols import MalformedPacket
from emostream.protocols.e4 import DataLine, Reply, decode_line, encode_command


@pytest.mark.parametrize(
    ("line", "kind", "values"),
    [
        ("E4_Gsr 1495650014.34563 0.123\r\n", "EDA", (0.123,)),
        ("E4_Bvp 1495650014.34563 -12.5", "PPG", (-12.5,)),
        ("E4_Ibi 1495650014.34563 0.8125", "RR", (0.8125,)),
        ("E4_Temperature 1495650014.34563 33.1", "TEMP", (33.1,)),
        ("E4_Temp 1495650014.34563 33.1", "TEMP", (33.1,)),
        ("E4_Acc 1495650014.34563 -5 12 63", "ACC", (-5.0, 12.0, 63.0)),
        ("E4_Hr 1495650014.34563 71.5", "HR", (71.5,)),
        ("E4_Tag 1495650014.34563", "Markers", ()),
        ("E4_Gsr 1495650014,34563 0,123", "EDA", (0.123,)),
    ],
)
def test_data_lines(line: str, kind: str, values: tuple[float, ...]) -> None:
    result = decode_line(line)
    assert isinstance(result, DataLine)
    assert (result.kind, result.values) == (kind, values)
    assert result.t_unix_s == pytest.approx(1495650014.34563)


def test_replies_and_commands() -> None:
    reply = decode_line(b"R device_subscribe gsr OK\r\n")
    assert isinstance(reply, Reply) and reply.command == "device_subscribe" and reply.ok
    err = decode_line("R device_connect ERR The device requested for connection is not available.")
    assert isinstance(err, Reply) and err.error
    assert encode_command("device_subscribe gsr ON") == b"device_subscribe gsr ON\r\n"


@pytest.mark.parametrize(
    "line",
    [
        "",
        "R",
        "E4_Gsr 1.0",
        "E4_Gsr x 1",
        "E4_Foo 1 2",
        b"\xff\xfe",
        "E4_Hr 1 nan",
        # more values than the stream carries: never a sample with the wrong channel count
        "E4_Gsr 1.0 0.5 0.7",
        "E4_Acc 1.0 -5 12 63 0",
        "E4_Tag 1.0 7",
    ],
)
def test_malformed(line: str | bytes) -> None:
    assert isinstance(decode_line(line), MalformedPacket)


@given(st.one_of(st.binary(max_size=80), st.text(max_size=80)))
def test_never_raises(line: bytes | str) -> None:
    assert isinstance(decode_line(line), (DataLine, Reply, MalformedPacket))
