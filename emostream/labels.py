"""Label markers: the grammar of docs/labels.md, mapping to classes, and spans of labelled time.

Markers are strings with a timestamp. Three kinds carry labels:

- ``phase:<name>:start`` / ``phase:<name>:end`` (and the same with ``condition``): a segment;
- ``report:<N>s:<key>=<value>,...``: a self-report about the preceding N seconds;
  ``report:<N>s:unsure`` is a wearer's "not sure": kept and counted, never a label;
- anything emostream emits itself (``label-request:...``, ``drift:...``, ``model-version:...``)
  is not a label.

A malformed marker raises `MarkerError` from `parse_marker`; `LabelTracker` logs it, counts it
and carries on, so a typo in a live session never stops the pipeline.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from emostream.config import FieldError, check_range
from emostream.errors import EmostreamError

log = logging.getLogger(__name__)

SEGMENT_KINDS = ("phase", "condition")
#: prefixes of markers emostream emits; they are never labels
OUTPUT_PREFIXES = ("label-request", "drift", "model-version")
SAM_MIN, SAM_MAX = 1, 9
#: a report's answer when the wearer is not sure
UNSURE = "unsure"
_NAME_RE = re.compile(r"^[a-z0-9_.\-]+$")
_SPAN_RE = re.compile(r"^(\d+(?:\.\d+)?)s$")
#: the first this many ignored markers of each sort are logged, then only every 10**k-th
LOGGED_IN_FULL = 5


class MarkerError(EmostreamError):
    """A marker uses a label keyword but does not follow the grammar."""


@dataclass(frozen=True, slots=True)
class SegmentEdge:
    """Start or end of a phase/condition segment."""

    t_s: float
    kind: str
    name: str
    edge: str  # "start" | "end"


@dataclass(frozen=True, slots=True)
class Report:
    """A self-report about (t_s - span_s, t_s]: a state name and/or SAM arousal/valence 1–9."""

    t_s: float
    span_s: float
    state: str | None = None
    arousal: int | None = None
    valence: int | None = None
    #: the wearer answered "not sure": recorded, counted, never learned from
    unsure: bool = False


@dataclass(frozen=True, slots=True)
class LabelSpan:
    """Time (t_from_s, t_to_s] carries class `label`; `source` says which marker gave it."""

    t_from_s: float
    t_to_s: float
    label: str
    source: str


@dataclass(frozen=True, slots=True)
class LabelConfig:
    """The `[labels]` table: the class set and how segment names and reports map to classes."""

    #: the label set; its order is the order of the `p_<label>` columns
    classes: tuple[str, ...] = ("calm", "stress")
    #: segment or reported state name -> class; a name equal to a class maps to itself
    map: dict[str, str] = field(default_factory=dict)
    #: class for SAM arousal 1..9 (nine entries), or empty to ignore arousal reports
    arousal_classes: tuple[str, ...] = ()
    #: valence of each class in [-1, 1]; the `valence` output is absent without it
    valence: dict[str, float] = field(default_factory=dict)
    #: a window takes a span's label when at least this fraction of it lies in the span
    min_overlap: float = 1.0

    def __post_init__(self) -> None:
        if len(self.classes) < 2 or len(set(self.classes)) != len(self.classes):
            raise FieldError("classes", "must list at least two distinct names")
        for name, target in self.map.items():
            if target and target not in self.classes:
                raise FieldError("map", f"'{name}' -> '{target}', which is not in classes")
        if self.arousal_classes:
            if len(self.arousal_classes) != SAM_MAX - SAM_MIN + 1:
                raise FieldError("arousal_classes", "needs nine entries, one per SAM value 1..9")
            unknown = set(self.arousal_classes) - set(self.classes)
            if unknown:
                raise FieldError("arousal_classes", f"names unknown classes {sorted(unknown)}")
        unknown = set(self.valence) - set(self.classes)
        if unknown:
            raise FieldError("valence", f"names unknown classes {sorted(unknown)}")
        for name, value in self.valence.items():
            check_range(f"valence.{name}", value, -1.0, 1.0)
        check_range("min_overlap", self.min_overlap, 0.0, 1.0, low_open=True)

    def class_of(self, name: str) -> str | None:
        """Class for a segment or state name; None when the name is deliberately unlabelled."""
        key = name.lower()
        if key in self.map:
            return self.map[key] or None
        return key if key in self.classes else None


def parse_marker(text: str, t_s: float) -> SegmentEdge | Report | None:
    """Parse one marker. None for markers that carry no label (unknown or emitted by emostream)."""
    parts = text.strip().split(":")
    head = parts[0].strip().lower()
    if head in OUTPUT_PREFIXES:
        return None
    if head in SEGMENT_KINDS:
        if len(parts) != 3:
            raise MarkerError(f"{text!r}: expected '{head}:<name>:start' or '{head}:<name>:end'")
        name, edge = parts[1].strip().lower(), parts[2].strip().lower()
        if not _NAME_RE.match(name):
            raise MarkerError(f"{text!r}: name may hold only letters, digits and _ . -")
        if edge not in ("start", "end"):
            raise MarkerError(f"{text!r}: the last part must be 'start' or 'end', not {edge!r}")
        return SegmentEdge(t_s, head, name, edge)
    if head == "report":
        return _parse_report(text, parts, t_s)
    return None


def _parse_report(text: str, parts: list[str], t_s: float) -> Report:
    if len(parts) != 3:
        raise MarkerError(f"{text!r}: expected 'report:<N>s:<key>=<value>,...'")
    span = _SPAN_RE.match(parts[1].strip().lower())
    if not span or float(span.group(1)) <= 0:
        raise MarkerError(f"{text!r}: span must be a positive number of seconds like '120s'")
    if parts[2].strip().lower() == UNSURE:
        return Report(t_s, float(span.group(1)), unsure=True)
    values: dict[str, str] = {}
    for item in parts[2].split(","):
        key, sep, value = item.partition("=")
        key, value = key.strip().lower(), value.strip().lower()
        if not sep or not value or key not in ("state", "arousal", "valence"):
            raise MarkerError(
                f"{text!r}: each item must be state=<name>, arousal=N or valence=N "
                f"(or the whole answer '{UNSURE}')"
            )
        values[key] = value
    sam: dict[str, int] = {}
    for key in ("arousal", "valence"):
        if key in values:
            if not values[key].isdigit() or not SAM_MIN <= int(values[key]) <= SAM_MAX:
                raise MarkerError(f"{text!r}: {key} must be an integer {SAM_MIN}..{SAM_MAX}")
            sam[key] = int(values[key])
    state = values.get("state")
    if state is not None and not _NAME_RE.match(state):
        raise MarkerError(f"{text!r}: state may hold only letters, digits and _ . -")
    return Report(t_s, float(span.group(1)), state, sam.get("arousal"), sam.get("valence"))


@dataclass(slots=True)
class LabelCounts:
    malformed: int = 0
    unmapped: int = 0
    unmatched_end: int = 0
    unsure: int = 0


class LabelTracker:
    """Turns a time-ordered marker stream into labelled spans as soon as each is known.

    A segment's span is known at its end marker; a new start of the same kind ends the open
    segment. A report's span is known when it arrives. Markers are de-duplicated, so passing
    every window's (overlapping) marker list is safe.
    """

    def __init__(self, config: LabelConfig):
        self.config = config
        self.counts = LabelCounts()
        self._open: dict[str, SegmentEdge] = {}
        self._last_t = float("-inf")
        self._seen_at_last: set[str] = set()

    def open_label(self, t_s: float) -> str | None:
        """Class of a segment open since `t_s` or earlier (known before its end is revealed)."""
        for edge in self._open.values():
            if edge.t_s <= t_s:
                label = self.config.class_of(edge.name)
                if label is not None:
                    return label
        return None

    def open_segment(self, kind: str, t_s: float) -> str | None:
        """Name of the `kind` segment open since `t_s` or earlier."""
        edge = self._open.get(kind)
        return edge.name if edge is not None and edge.t_s <= t_s else None

    def feed(self, markers: list[tuple[float, str]]) -> list[LabelSpan]:
        """Consume markers (any already seen are skipped); return the spans they complete."""
        spans: list[LabelSpan] = []
        for t_s, text in sorted(markers, key=lambda m: m[0]):
            if t_s < self._last_t or (t_s == self._last_t and text in self._seen_at_last):
                continue
            if t_s > self._last_t:
                self._last_t, self._seen_at_last = t_s, set()
            self._seen_at_last.add(text)
            try:
                item = parse_marker(text, t_s)
            except MarkerError as exc:
                self.counts.malformed += 1
                if should_log(self.counts.malformed):
                    log.warning(
                        "ignored malformed marker at %.3f s (%d so far): %s",
                        t_s,
                        self.counts.malformed,
                        exc,
                    )
                continue
            if isinstance(item, SegmentEdge):
                spans.extend(self._segment(item))
            elif isinstance(item, Report):
                spans.extend(self._report(item))
        return spans

    def _segment(self, edge: SegmentEdge) -> list[LabelSpan]:
        opened = self._open.pop(edge.kind, None)
        out: list[LabelSpan] = []
        if opened is not None and (edge.edge == "start" or opened.name == edge.name):
            out.extend(self._span(opened.t_s, edge.t_s, opened.name, opened.kind))
        elif edge.edge == "end":
            self.counts.unmatched_end += 1
            if should_log(self.counts.unmatched_end):
                log.warning(
                    "ignored '%s:%s:end' at %.3f s: no such segment open (%d so far)",
                    edge.kind,
                    edge.name,
                    edge.t_s,
                    self.counts.unmatched_end,
                )
            if opened is not None:
                self._open[edge.kind] = opened
        if edge.edge == "start":
            self._open[edge.kind] = edge
        return out

    def preview_report(self, t_s: float, text: str) -> LabelSpan | None:
        """The span a self-report marker will give when it is fed, without feeding it (None
        for any other marker, a malformed or "not sure" report, or one mapping to no class)."""
        try:
            item = parse_marker(text, t_s)
        except MarkerError:
            return None
        if not isinstance(item, Report) or item.unsure:
            return None
        return self._report_span(item)

    def _report(self, report: Report) -> list[LabelSpan]:
        if report.unsure:
            self.counts.unsure += 1
            return []
        span = self._report_span(report)
        if span is None:
            self.counts.unmapped += 1
            return []
        return [span]

    def _report_span(self, report: Report) -> LabelSpan | None:
        label = None
        if report.state is not None:
            label = self.config.class_of(report.state)
        elif report.arousal is not None and self.config.arousal_classes:
            label = self.config.arousal_classes[report.arousal - SAM_MIN]
        if label is None:
            return None
        return LabelSpan(report.t_s - report.span_s, report.t_s, label, "report")

    def _span(self, t_from: float, t_to: float, name: str, source: str) -> list[LabelSpan]:
        label = self.config.class_of(name)
        if label is None:
            self.counts.unmapped += 1
            return []
        return [LabelSpan(t_from, t_to, label, source)] if t_to > t_from else []


def should_log(n: int) -> bool:
    """Log the n-th ignored marker? The first few, then the 10th, 100th, 1000th, ..."""
    return n <= LOGGED_IN_FULL or str(n).rstrip("0") == "1"


def span_covers(span: LabelSpan, t_start: float, t_end: float, min_overlap: float) -> bool:
    """True when at least `min_overlap` of the window (t_start, t_end] lies inside `span`."""
    length = t_end - t_start
    inside = min(t_end, span.t_to_s) - max(t_start, span.t_from_s)
    return length > 0 and inside >= min_overlap * length - 1e-9
