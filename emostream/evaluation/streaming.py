"""Stream one subject's windows through the online model, as a live session would.

What the wearer's stream carries decides the protocol:
- `generic`: only the declared baseline phase (a live operator marks it); the model does not
  learn, only the wearer's baseline statistics adapt;
- `personalised`: every label marker, each segment revealed when it ends; the model learns
  online and every window is scored on the prediction made before any label covering it;
- `answers`: only the declared baseline and the answers of a simulated wearer to the
  model's own label requests (see `active`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from emostream.datasets.windows import SubjectWindows
from emostream.features.base import FeatureVector
from emostream.labels import MarkerError, SegmentEdge, parse_marker
from emostream.models.online import OnlineStateModel


@dataclass(slots=True)
class StreamedSession:
    """The model's output for each window of one session."""

    states: list[str] = field(default_factory=list)
    confidence: list[float] = field(default_factory=list)
    proba: list[dict[str, float]] = field(default_factory=list)
    arousal: list[float | None] = field(default_factory=list)
    valence: list[float | None] = field(default_factory=list)
    #: indices of the windows at which a drift was flagged
    drift_windows: list[int] = field(default_factory=list)
    n_learned: int = 0
    n_requests: int = 0
    n_answers: int = 0
    n_drifts: int = 0


def declared_baseline(
    markers: list[tuple[float, str]], baseline_phase: str
) -> list[tuple[float, str]]:
    """Only the markers that open and close the declared baseline phase."""
    out = []
    for t_s, text in markers:
        try:
            item = parse_marker(text, t_s)
        except MarkerError:
            continue  # the label tracker counts malformed markers; none declares a baseline
        if isinstance(item, SegmentEdge) and item.kind == "phase" and item.name == baseline_phase:
            out.append((t_s, text))
    return out


#: answers to the label requests made so far: (request marker, window) -> markers to add
Answerer = Callable[[str, FeatureVector], list[tuple[float, str]]]


def stream_session(
    model: OnlineStateModel,
    subject: SubjectWindows,
    *,
    protocol: str,
    answer: Answerer | None = None,
    schedule: Collection[int] | None = None,
) -> StreamedSession:
    """Stream `subject` through `model` (from a fresh session) under `protocol`.

    With `schedule`, label requests are made at those window indices (asking about the
    configured `active.span_s`) instead of where the model's confidence asks for them."""
    model.new_session()
    learn = protocol != "generic"
    baseline_phase = model.config.baseline_phase
    out = StreamedSession()
    pending_answers: list[tuple[float, str]] = []
    scheduled = f"label-request:{model.config.active.span_s:g}s:scheduled"
    for i, fv in enumerate(subject.windows):
        if protocol == "personalised":
            markers = fv.markers
        else:
            markers = declared_baseline(fv.markers, baseline_phase) + pending_answers
            pending_answers = []
        step = model.step(dataclasses.replace(fv, markers=markers), learn=learn)
        row = step.prediction
        out.states.append(row["state"])
        out.confidence.append(row["confidence"])
        out.proba.append({c: row[f"p_{c}"] for c in model.classes})
        out.arousal.append(row.get("arousal"))
        out.valence.append(row.get("valence"))
        out.n_learned += step.n_learned
        markers_out = step.markers
        if schedule is not None:
            markers_out = [m for m in markers_out if not m.startswith("label-request:")]
            markers_out += [scheduled] if i in schedule else []
        for marker in markers_out:
            if marker.startswith("drift:"):
                out.n_drifts += 1
                out.drift_windows.append(i)
            elif marker.startswith("label-request:") and answer is not None:
                out.n_requests += 1
                given = answer(marker, fv)
                out.n_answers += bool(given)
                pending_answers.extend(given)
    return out
