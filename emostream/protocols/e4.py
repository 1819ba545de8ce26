"""Empatica E4 streaming server: ASCII commands and lines over TCP (CRLF-terminated)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from emostream.protocols import MalformedPacket

DEFAULT_PORT = 28000


@dataclass(frozen=True, slots=True)
class E4Stream:
    """One stream of the streaming server: what to subscribe to, how its lines start, which
    emostream stream kind it gives, how many values a line carries, at what rate (0: per
    beat or event)."""

    subscription: str
    prefix: str
    kind: str
    n_values: int
    rate_hz: float

    @property
    def n_channels(self) -> int:
        """Channels of the emostream stream (a tag is one string channel)."""
        return max(1, self.n_values)


#: every stream of the E4 streaming server; the one table the client and the simulator use
E4_STREAMS = (
    E4Stream("gsr", "E4_Gsr", "EDA", 1, 4.0),
    E4Stream("bvp", "E4_Bvp", "PPG", 1, 64.0),
    E4Stream("ibi", "E4_Ibi", "RR", 1, 0.0),
    E4Stream("tmp", "E4_Temperature", "TEMP", 1, 4.0),
    E4Stream("acc", "E4_Acc", "ACC", 3, 32.0),
    E4Stream("hr", "E4_Hr", "HR", 1, 0.0),
    E4Stream("tag", "E4_Tag", "Markers", 0, 0.0),
    E4Stream("bat", "E4_Battery", "battery", 1, 0.0),
)
#: subscription names
STREAMS = tuple(s.subscription for s in E4_STREAMS)
#: stream kind → its stream (battery is a status, not a stream kind of the profile)
BY_KIND = {s.kind: s for s in E4_STREAMS if s.kind != "battery"}
#: data-line prefix → (stream kind, number of values); older servers write E4_Temp
DATA_LINES = {s.prefix: (s.kind, s.n_values) for s in E4_STREAMS} | {"E4_Temp": ("TEMP", 1)}


def encode_command(command: str) -> bytes:
    return command.encode("ascii") + b"\r\n"


@dataclass(frozen=True, slots=True)
class DataLine:
    """`E4_<Stream> <unix s.µs> <values…>`; `kind` is the emostream stream kind."""

    kind: str
    t_unix_s: float
    values: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class Reply:
    """`R <command> <words…>`: the server's answer to a command (or a status notice)."""

    command: str
    words: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return "OK" in self.words

    @property
    def error(self) -> bool:
        return "ERR" in self.words

    @property
    def text(self) -> str:
        return " ".join((self.command, *self.words))


def decode_line(line: bytes | str) -> DataLine | Reply | MalformedPacket:
    """Decode one line (without or with its CRLF)."""
    if isinstance(line, bytes):
        try:
            text = line.decode("ascii")
        except UnicodeDecodeError:
            return MalformedPacket("e4", "line is not ASCII", line)
    else:
        text = line
    raw = text.encode("ascii", "replace")
    words = text.strip().split()
    if not words:
        return MalformedPacket("e4", "empty line", raw)
    head = words[0]
    if head == "R":
        if len(words) < 2:
            return MalformedPacket("e4", "reply without a command", raw)
        return Reply(words[1], tuple(words[2:]))
    layout = DATA_LINES.get(head)
    if layout is None:
        return MalformedPacket("e4", f"unknown line type {head[:24]!r}", raw)
    kind, n_values = layout
    if len(words) != 2 + n_values:
        return MalformedPacket("e4", f"{head} needs a time and {n_values} value(s)", raw)
    try:
        numbers = tuple(float(w.replace(",", ".")) for w in words[1:])
    except ValueError:
        return MalformedPacket("e4", f"{head}: not a number", raw)
    if not all(math.isfinite(v) for v in numbers):
        return MalformedPacket("e4", f"{head}: non-finite number", raw)
    return DataLine(kind, numbers[0], numbers[1:])
