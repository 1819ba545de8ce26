"""The `[outputs]` and `[record]` tables of a pipeline: what the sinks publish and record."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OutputsConfig:
    #: publish features, state and label requests as LSL outlets
    lsl: bool = True
    #: show the live terminal view
    console: bool = True
    #: prefix of the outlets' names (features: "<prefix>-Features", ...)
    lsl_prefix: str = "emostream"


@dataclass(frozen=True)
class RecordConfig:
    """Recording of raw streams, features and predictions (see docs/recording.md)."""

    enabled: bool = True
    dir: str = "recordings"
    #: consent given for this recording, e.g. "record,research" (required to record a live person)
    consent: str = ""
