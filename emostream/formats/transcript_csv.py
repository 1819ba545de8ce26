"""Transcript CSV: a header with `start`, `end` (seconds) and `text`, optionally `speaker`.

Rows whose times are not numbers (or end before they start) are skipped and counted in the
recording's `meta["n_skipped_cues"]`; a missing column is an error naming it.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

from emostream.errors import RecordingError
from emostream.formats.base import Recording
from emostream.formats.transcript import Cue, has_suffix, read_text, transcript_recording

FORMAT = "transcript-csv"
REQUIRED = ("start", "end", "text")


def _fields(path: Path) -> list[str]:
    header = read_text(path).splitlines()[:1]
    return [f.strip().lower() for f in next(csv.reader(header), [])]


def detect(path: Path) -> bool:
    """True for a `.csv` file whose header has start, end and text columns."""
    return has_suffix(path, ".csv") and set(REQUIRED) <= set(_fields(path))


def _cue(row: dict[str, str]) -> Cue | None:
    try:
        start_s, end_s = float(row["start"]), float(row["end"])
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(start_s) and math.isfinite(end_s)) or end_s < start_s:
        return None
    return Cue(start_s, end_s, row.get("text") or "", (row.get("speaker") or "").strip())


def read(path: Path, t0_s: float = 0.0) -> Recording:
    """A transcript CSV as a recording with one `Text` stream starting at `t0_s`."""
    reader = csv.DictReader(io.StringIO(read_text(path)))
    reader.fieldnames = [f.strip().lower() for f in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in reader.fieldnames]
    if missing:
        raise RecordingError(
            f"transcript CSV needs columns start, end, text; missing {', '.join(missing)}",
            file=path,
        )
    cues, n_skipped = [], 0
    for row in reader:
        cue = _cue(row)
        if cue is None:
            n_skipped += 1
        else:
            cues.append(cue)
    return transcript_recording(path, cues, FORMAT, t0_s, n_skipped)
