"""WebVTT transcripts (`.vtt`): cues with voice spans (`<v Speaker>`) as speakers."""

from __future__ import annotations

from pathlib import Path

import webvtt
from webvtt.errors import MalformedCaptionError, MalformedFileError

from emostream.errors import RecordingError
from emostream.formats.base import Recording
from emostream.formats.transcript import Cue, has_suffix, read_text, transcript_recording

FORMAT = "webvtt"


def seconds(caption: webvtt.Caption, which: str) -> float:
    """A caption's start or end in seconds, to the millisecond."""
    stamp = getattr(caption, f"{which}_time")
    return stamp.hours * 3600.0 + stamp.minutes * 60.0 + stamp.seconds + stamp.milliseconds / 1e3


def cues_of(captions: webvtt.WebVTT) -> list[Cue]:
    return [
        Cue(seconds(c, "start"), seconds(c, "end"), c.text, c.voice or "")
        for c in captions.captions
        if c.text.strip()
    ]


def detect(path: Path) -> bool:
    """True for a `.vtt` file starting with the WEBVTT signature."""
    return has_suffix(path, ".vtt") and read_text(path).lstrip().startswith("WEBVTT")


def read(path: Path, t0_s: float = 0.0) -> Recording:
    """A WebVTT file as a recording with one `Text` stream starting at `t0_s`."""
    try:
        captions = webvtt.from_string(read_text(path))
    except (MalformedFileError, MalformedCaptionError) as exc:
        raise RecordingError(f"not a readable WebVTT file ({exc})", file=path) from None
    return transcript_recording(path, cues_of(captions), FORMAT, t0_s)
