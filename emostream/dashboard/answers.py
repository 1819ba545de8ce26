"""What the pages may write, turned into markers of the label grammar (docs/labels.md).

Pure functions: each checks one request body and returns the marker strings, or raises
`AnswerError` with a message the page shows as it is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from emostream.labels import SAM_MAX, SAM_MIN, UNSURE, MarkerError, parse_marker

#: longest marker or note accepted from a page
MAX_TEXT = 200
NOTE_PREFIX = "note:"
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


class AnswerError(ValueError):
    """A page sent something that is not a valid marker or self-report."""


def operator_marker(body: Mapping[str, Any]) -> str:
    """The operator's event marker: free text or a preset, checked against the grammar."""
    text = _text(body.get("marker"), "marker")
    if not text:
        raise AnswerError("marker: empty; type an event or pick a preset")
    try:
        parse_marker(text, 0.0)
    except MarkerError as exc:
        raise AnswerError(f"marker: {exc}") from None
    return text


def report_markers(
    body: Mapping[str, Any], classes: Sequence[str], default_span_s: float
) -> list[str]:
    """A self-report as `report:<N>s:...` (plus `note:<text>` when free text is given).

    `state` is one of `classes`, or `unsure` for "not sure" (never learned from); `arousal`
    and `valence` are SAM ratings 1..9. At least one of them is needed."""
    span_s = body.get("span_s", default_span_s)
    if span_s is None:
        span_s = default_span_s
    if isinstance(span_s, bool) or not isinstance(span_s, int | float) or not 0 < span_s <= 3600:
        raise AnswerError("span_s: must be a number of seconds in (0, 3600]")
    state = body.get("state")
    items: list[str] = []
    if state == UNSURE:
        answer = UNSURE
    else:
        if state is not None:
            if state not in classes:
                raise AnswerError(f"state: {state!r} is not one of {[*classes, UNSURE]}")
            items.append(f"state={state}")
        for key in ("arousal", "valence"):
            value = body.get(key)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int):
                raise AnswerError(f"{key}: must be an integer {SAM_MIN}..{SAM_MAX}")
            if not SAM_MIN <= value <= SAM_MAX:
                raise AnswerError(f"{key}: must be an integer {SAM_MIN}..{SAM_MAX}")
            items.append(f"{key}={value}")
        if not items:
            raise AnswerError("answer: choose a state, 'not sure', or a SAM rating")
        answer = ",".join(items)
    markers = [f"report:{span_s:g}s:{answer}"]
    note = _text(body.get("note"), "note")
    if note:
        markers.append(NOTE_PREFIX + note)
    return markers


def _text(value: Any, key: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise AnswerError(f"{key}: must be text")
    text = _CONTROL_RE.sub(" ", value).strip()
    if len(text) > MAX_TEXT:
        raise AnswerError(f"{key}: at most {MAX_TEXT} characters")
    return text
