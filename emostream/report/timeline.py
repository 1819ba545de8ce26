"""What a session's markers say on its timeline: phase segments, label requests, self-report
answers and drift alarms (the grammar of docs/labels.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from emostream.errors import EmostreamError
from emostream.labels import Report, SegmentEdge, parse_marker

Marker = tuple[float, str]


@dataclass(frozen=True, slots=True)
class Segment:
    """A phase or condition segment `(t_from_s, t_to_s]` named `name`."""

    t_from_s: float
    t_to_s: float
    kind: str
    name: str


@dataclass(frozen=True, slots=True)
class Request:
    """A label request and the first self-report that followed it, if any."""

    t_s: float
    text: str
    answer_t_s: float | None
    answer: str | None


def segments(markers: Sequence[Marker], t_end_s: float) -> list[Segment]:
    """Phase and condition segments; a segment still open at the end closes at `t_end_s`.
    Malformed markers are skipped here (the pipeline counted them when it ran)."""
    open_: dict[str, SegmentEdge] = {}
    out: list[Segment] = []
    for t_s, text in sorted(markers, key=lambda m: m[0]):
        try:
            item = parse_marker(text, t_s)
        except EmostreamError:
            continue
        if not isinstance(item, SegmentEdge):
            continue
        opened = open_.pop(item.kind, None)
        if opened is not None and (item.edge == "start" or opened.name == item.name):
            out.append(Segment(opened.t_s, item.t_s, opened.kind, opened.name))
        elif opened is not None:
            open_[item.kind] = opened
        if item.edge == "start":
            open_[item.kind] = item
    out.extend(Segment(e.t_s, t_end_s, e.kind, e.name) for e in open_.values() if t_end_s > e.t_s)
    return sorted(out, key=lambda s: s.t_from_s)


def is_report(text: str) -> bool:
    try:
        return isinstance(parse_marker(text, 0.0), Report)
    except EmostreamError:
        return False


def with_prefix(markers: Sequence[Marker], prefix: str) -> list[Marker]:
    """Markers whose first part is `prefix` (e.g. `label-request`, `drift`), in time order."""
    return sorted(m for m in markers if m[1].split(":", 1)[0].strip().lower() == prefix)


def answers(markers: Sequence[Marker]) -> list[Marker]:
    """Well-formed self-reports (`report:<N>s:…`), in time order."""
    return sorted(m for m in markers if is_report(m[1]))


def requests(markers: Sequence[Marker]) -> list[Request]:
    """Each label request with the first self-report after it and before the next request."""
    asked = with_prefix(markers, "label-request")
    reports = answers(markers)
    out = []
    for i, (t_s, text) in enumerate(asked):
        until = asked[i + 1][0] if i + 1 < len(asked) else float("inf")
        reply = next((r for r in reports if t_s <= r[0] < until), None)
        out.append(Request(t_s, text, reply[0] if reply else None, reply[1] if reply else None))
    return out
