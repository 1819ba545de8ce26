"""SubRip transcripts (`.srt`): numbered cues with `HH:MM:SS,mmm` times; tags are removed."""

from __future__ import annotations

import io
from pathlib import Path

import webvtt
from webvtt.errors import MalformedCaptionError, MalformedFileError

from emostream.errors import RecordingError
from emostream.formats.base import Recording
from emostream.formats.transcript import has_suffix, read_text, transcript_recording
from emostream.formats.webvtt import cues_of

FORMAT = "srt"


def detect(path: Path) -> bool:
    """True for a `.srt` file."""
    return has_suffix(path, ".srt")


def read(path: Path, t0_s: float = 0.0) -> Recording:
    """An SRT file as a recording with one `Text` stream starting at `t0_s`."""
    lines = io.StringIO(read_text(path))
    try:
        captions = webvtt.from_buffer(lines, format="srt")
    except (MalformedFileError, MalformedCaptionError) as exc:
        raise RecordingError(f"not a readable SRT file ({exc})", file=path) from None
    return transcript_recording(path, cues_of(captions), FORMAT, t0_s)
