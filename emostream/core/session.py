"""Session provenance: what every output carries (config hash, versions, clocks, subject)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from emostream import __version__
from emostream.core.clock import lsl_now_s, unix_now_s
from emostream.core.spec import StreamSpec


@dataclass(frozen=True)
class SessionInfo:
    """Provenance of one session. `subject` is a pseudonym, never a name."""

    pipeline_name: str
    config_hash: str
    config: dict[str, Any]
    mode: str  # live | replay | process | demo
    subject: str = "anon"
    session: int = 1
    model_version: str = ""
    software_version: str = __version__
    started_unix_s: float = field(default_factory=unix_now_s)
    started_lsl_s: float = field(default_factory=lsl_now_s)
    streams: tuple[StreamSpec, ...] = ()
    devices: tuple[dict[str, str], ...] = ()
    consent: dict[str, Any] | None = None
    #: where the window ends lie within a hop (set per wearer when a run spreads them)
    window_offset_s: float = 0.0

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["streams"] = [asdict(s) for s in self.streams]
        return out
