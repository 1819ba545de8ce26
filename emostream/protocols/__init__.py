"""Pure byte decoders and encoders for the device protocols in PROTOCOLS.md.

Top-level decoders never raise on arbitrary input: they return either a decoded value or a
`MalformedPacket` (a `ProtocolError` carrying the reason), which callers count and skip with
`PacketStats`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from emostream.errors import ProtocolError


class MalformedPacket(ProtocolError):
    """A packet that does not follow its protocol; returned by decoders, never raised by them."""

    def __init__(self, protocol: str, reason: str, payload: bytes = b""):
        self.protocol = protocol
        self.reason = reason
        self.payload = bytes(payload[:64])
        super().__init__(f"{protocol}: {reason} ({len(payload)} bytes)")


@dataclass
class PacketStats:
    """Counts of accepted and rejected packets, with the most recent rejection reasons."""

    accepted: int = 0
    rejected: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    def accept(self) -> None:
        self.accepted += 1

    def reject(self, error: MalformedPacket) -> None:
        self.rejected += 1
        self.reasons[error.reason] = self.reasons.get(error.reason, 0) + 1
