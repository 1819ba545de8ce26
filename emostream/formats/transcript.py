"""Timed transcripts as recordings: one `Text` stream, an utterance per cue, stamped at its end.

An utterance is known once it has been said, as with a live speech-to-text feed, so a window
holds the utterances that ended inside it.

The WebVTT, SRT and CSV readers (`formats.webvtt`, `formats.srt`, `formats.transcript_csv`)
parse their files into cues and build the recording here. Bytes that are not valid UTF-8
become U+FFFD, so the `text` extractor counts those cues as unusable instead of the whole file
failing; a file with no cue at all is an error naming it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from emostream.core.spec import text_spec
from emostream.errors import RecordingError
from emostream.formats.base import RecordedStream, Recording


@dataclass(frozen=True, slots=True)
class Cue:
    """One timed utterance: start and end (s from the media's start), text, speaker."""

    start_s: float
    end_s: float
    text: str
    speaker: str = ""


def read_text(path: Path) -> str:
    """The file's text; invalid UTF-8 bytes become U+FFFD (counted later, never fatal)."""
    path = Path(path)
    if not path.is_file():
        raise RecordingError("no such file", file=path)
    return path.read_bytes().decode("utf-8-sig", errors="replace")


def has_suffix(path: Path, *suffixes: str) -> bool:
    return path.is_file() and path.suffix.lower() in suffixes


def transcript_recording(
    path: Path, cues: Sequence[Cue], fmt: str, t0_s: float = 0.0, n_skipped: int = 0
) -> Recording:
    """A recording with one `Text` stream (`text`, plus `speaker` when any cue names one)."""
    if not cues:
        raise RecordingError(f"the {fmt} transcript holds no cue", file=path)
    ordered = sorted(cues, key=lambda cue: cue.end_s)
    speaker = any(cue.speaker for cue in ordered)
    spec = text_spec(path.stem, f"{fmt}:{path.stem}", speaker=speaker)
    data = np.empty((len(ordered), spec.n_channels), dtype=object)
    data[:, 0] = [cue.text for cue in ordered]
    if speaker:
        data[:, 1] = [cue.speaker for cue in ordered]
    timestamps = t0_s + np.array([cue.end_s for cue in ordered], dtype=np.float64)
    meta = {"file": str(path), "format": fmt, "n_cues": len(ordered), "n_skipped_cues": n_skipped}
    return Recording({"text": RecordedStream(spec, timestamps, data)}, meta=meta)
