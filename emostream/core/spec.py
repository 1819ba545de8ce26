"""Stream specification: what a stream is, independent of where it comes from."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace

from emostream.errors import StreamError

IRREGULAR_RATE = 0.0
STRING_FORMAT = "string"
NUMERIC_FORMATS = ("float32", "double64", "int32", "int16")

#: LSL stream types: the official ones plus the community conventions (PROTOCOLS.md §5).
KNOWN_KINDS = (
    "EEG", "MoCap", "NIRS", "Gaze", "VideoRaw", "VideoCompressed", "Audio", "Markers",
    "ECG", "PPG", "EDA", "RR", "HR", "RSP", "TEMP", "ACC", "Face", "Text", "Features", "State",
)  # fmt: skip
#: kind of a string stream of utterances (channel `text`, optionally `speaker`)
TEXT_KIND = "Text"

_SOURCE_ID_RE = re.compile(r"^[A-Za-z0-9_.:\-]+$")


@dataclass(frozen=True, slots=True)
class StreamSpec:
    """Kind, name, channels, units, nominal rate (0 = irregular) and a stable source id."""

    kind: str
    name: str
    channels: tuple[str, ...]
    units: tuple[str, ...]
    rate_hz: float
    source_id: str
    channel_format: str = "float32"
    channel_types: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if not self.channels:
            raise StreamError(f"stream '{self.name}': needs at least one channel label")
        if len(self.units) != len(self.channels):
            raise StreamError(
                f"stream '{self.name}': {len(self.channels)} channel labels but "
                f"{len(self.units)} units; give one unit per channel"
            )
        if self.channel_types and len(self.channel_types) != len(self.channels):
            raise StreamError(f"stream '{self.name}': channel_types must match channels")
        if not (math.isfinite(self.rate_hz) and self.rate_hz >= 0):
            raise StreamError(
                f"stream '{self.name}': rate_hz must be a finite number >= 0 (0 = irregular), "
                f"not {self.rate_hz}"
            )
        if self.channel_format not in (STRING_FORMAT, *NUMERIC_FORMATS):
            raise StreamError(
                f"stream '{self.name}': unknown channel_format {self.channel_format!r}"
            )
        if not _SOURCE_ID_RE.match(self.source_id):
            raise StreamError(
                f"stream '{self.name}': source_id {self.source_id!r} may only hold letters, "
                "digits and _ . : -"
            )

    @property
    def n_channels(self) -> int:
        return len(self.channels)

    @property
    def is_irregular(self) -> bool:
        return self.rate_hz == IRREGULAR_RATE

    @property
    def is_markers(self) -> bool:
        """A string stream (event markers, or utterances when `is_text`)."""
        return self.channel_format == STRING_FORMAT

    @property
    def is_text(self) -> bool:
        """A string stream of utterances: windowed like data, not treated as event markers."""
        return self.is_markers and self.kind == TEXT_KIND

    @property
    def is_event_markers(self) -> bool:
        """A string stream of event markers (labels, phase changes)."""
        return self.is_markers and not self.is_text

    @property
    def types(self) -> tuple[str, ...]:
        """Per-channel type, defaulting to the stream kind."""
        return self.channel_types or (self.kind,) * self.n_channels


def wearer_slot(index: int, n_wearers: int) -> str:
    """`w01`, `w02`, …: the slot of the `index`-th (0-based) of `n_wearers` wearers."""
    return f"w{index + 1:0{max(2, len(str(n_wearers)))}d}"


def for_wearer(spec: StreamSpec, slot: str) -> StreamSpec:
    """The same stream, worn by the wearer in `slot` (`w01`) of many published at once: name
    and source_id end in `-<slot>`."""
    return replace(spec, name=f"{spec.name}-{slot}", source_id=f"{spec.source_id}-{slot}")


def markers_spec(name: str, source_id: str) -> StreamSpec:
    """A one-channel irregular string stream, as LSL Markers streams are."""
    return StreamSpec(
        kind="Markers",
        name=name,
        channels=("marker",),
        units=("",),
        rate_hz=IRREGULAR_RATE,
        source_id=source_id,
        channel_format=STRING_FORMAT,
    )


def text_spec(name: str, source_id: str, speaker: bool = False) -> StreamSpec:
    """An irregular string stream of utterances: `text`, plus `speaker` when given."""
    channels = ("text", "speaker") if speaker else ("text",)
    return StreamSpec(
        kind=TEXT_KIND,
        name=name,
        channels=channels,
        units=("",) * len(channels),
        rate_hz=IRREGULAR_RATE,
        source_id=source_id,
        channel_format=STRING_FORMAT,
    )
