"""`DashboardSink`: one wearer's view for the web server, kept in bounded, decimated traces.

The pipeline's event loop calls the hooks; they only copy small arrays under a lock. The
server's thread reads deltas (`delta`) at its own pace and hands markers typed in the browser
to the wearer's `inbox`, which the pipeline reads like any other source.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emostream.core.chunk import Chunk
from emostream.core.events import Gap, LinkState, StatusEvent
from emostream.dashboard.inbox import InboxUnavailable, MarkerInbox
from emostream.dashboard.traces import Trace
from emostream.features.base import FeatureVector
from emostream.sinks.base import Sink

if TYPE_CHECKING:
    from emostream.core.session import SessionInfo
    from emostream.models.online import OnlineStateModel
    from emostream.sinks.recorder import RecorderSink

#: raw signals: the last RAW_SPAN_S seconds, in RAW_POINTS_PER_S slots a second (each keeps its
#: smallest and largest sample)
RAW_SPAN_S = 60.0
RAW_POINTS_PER_S = 10.0
RAW_STEP_S = 1.0 / RAW_POINTS_PER_S
#: feature and prediction traces: the last this many windows
WINDOW_POINTS = 720
#: timeline events (markers, label requests, drift, gaps): the last this many
EVENTS_KEPT = 500
#: features drawn as traces; face_*, voice_* and text_* ones join when present
FEATURES_SHOWN = (
    "hr_bpm",
    "hrv_rmssd_ms",
    "eda_scl_us",
    "eda_scr_count",
    "rsp_rate_bpm",
    "temp_c",
    "eeg_faa",
)
OPTIONAL_PREFIXES = ("face_", "voice_")
#: a stream is flagged stale when no sample arrived for this long (wall time)
STALE_AFTER_S = 5.0
#: a quality or coverage below this is flagged low
LOW_QUALITY = 0.5


@dataclass(slots=True)
class Cursor:
    """How far a reader has read: per trace, the next point; and the next timeline event."""

    traces: dict[str, int] = field(default_factory=dict)
    events: int = 0


class DashboardSink(Sink):
    """One wearer on the dashboard. `slot` (an index) names it in URLs and pages, never the
    subject's pseudonym."""

    def __init__(
        self,
        slot: int,
        *,
        classes: tuple[str, ...] = (),
        report_span_s: float = 120.0,
        model: OnlineStateModel | None = None,
        recorder: RecorderSink | None = None,
        inbox: MarkerInbox,
        on_window_closed: Callable[[], None] | None = None,
    ):
        self.slot = slot
        self.classes = classes
        self.report_span_s = report_span_s
        self.inbox = inbox
        self._on_window_closed = on_window_closed
        self._model = model
        self._recorder = recorder
        self._lock = threading.Lock()
        self._traces: dict[str, Trace] = {}
        self._events: deque[dict[str, Any]] = deque(maxlen=EVENTS_KEPT)
        self._n_events = 0
        self._latest: dict[str, Any] = {}
        self._streams: dict[str, dict[str, Any]] = {}
        self._newest_t_s = -math.inf
        self._first_t_s = math.inf
        self._opened_wall_s: float | None = None
        self._ended = False
        self._request: dict[str, Any] | None = None
        self._size_cache: tuple[float, int] = (-math.inf, 0)

    # -- Sink hooks: pipeline thread, copy under the lock ---------------------------------
    def open(self, session: SessionInfo) -> None:
        with self._lock:
            self._opened_wall_s = time.time()
            self._latest["mode"] = session.mode
            self._latest["config_hash"] = session.config_hash

    def on_chunk(self, chunk: Chunk) -> None:
        timestamps = chunk.timestamps
        if not len(timestamps):
            return
        spec = chunk.spec
        with self._lock:
            t_last = float(timestamps[-1])
            if self._newest_t_s < t_last < math.inf:
                self._newest_t_s = t_last
            if -math.inf < timestamps[0] < self._first_t_s:
                self._first_t_s = float(timestamps[0])
            stream = self._streams.get(spec.kind)
            if stream is None:
                if spec.is_markers:
                    if not spec.is_text:
                        for t_s, text in chunk.markers():
                            self._event(t_s, "marker", text)
                    return
                stream = self._streams[spec.kind] = {
                    "channel": spec.channels[0],
                    "unit": spec.units[0],
                    "samples": 0,
                    "trace": self._trace(f"raw:{spec.kind}", _raw_capacity(), RAW_STEP_S),
                }
            stream["samples"] += len(timestamps)
            stream["wall_s"] = time.time()
            stream["trace"].extend(timestamps, chunk.data)

    def on_gap(self, gap: Gap) -> None:
        with self._lock:
            self._event(gap.t_to_s, "gap", f"{gap.reason} ({gap.t_to_s - gap.t_from_s:.1f} s)")

    def on_event(self, event: StatusEvent) -> None:
        if isinstance(event, LinkState):
            with self._lock:
                self._latest["link"] = {
                    "state": event.state,
                    "battery_pct": event.battery_pct,
                    "rssi_dbm": event.rssi_dbm,
                    "n_gaps": event.n_gaps,
                }

    def on_window(self, features: FeatureVector, prediction: dict[str, object] | None) -> None:
        t_s = features.t_end
        values = features.values
        with self._lock:
            for name, value in values.items():
                if name in FEATURES_SHOWN or name.startswith(OPTIONAL_PREFIXES):
                    self._trace(f"feat:{name}", WINDOW_POINTS).append(t_s, float(value))
            self._latest["quality"] = {k: round(float(v), 3) for k, v in features.quality.items()}
            self._latest["coverage"] = {k: round(float(v), 3) for k, v in features.coverage.items()}
            self._latest["staleness_s"] = {
                k: round(float(v), 2) for k, v in features.staleness.items()
            }
            self._latest["features"] = {
                k: round(float(v), 3)
                for k, v in values.items()
                if k in FEATURES_SHOWN or k.startswith(OPTIONAL_PREFIXES)
            }
            self._latest["window"] = {"t_end": t_s, "wall_s": time.time()}
            if prediction is not None:
                for c in self.classes:
                    p = prediction.get(f"p_{c}")
                    if isinstance(p, float):
                        self._trace(f"p:{c}", WINDOW_POINTS).append(t_s, p)
                confidence = prediction.get("confidence")
                if isinstance(confidence, float):
                    self._trace("confidence", WINDOW_POINTS).append(t_s, confidence)
                self._latest["state"] = {
                    k: prediction.get(k)
                    for k in ("state", "confidence", "label", "arousal", "valence")
                    if k in prediction
                }
            if self._model is not None:
                counters = self._model.counters
                labels = self._model.encoder.labels.counts
                self._latest["model"] = {
                    "version": self._model.model_version,
                    "n_predicted": counters.n_predicted,
                    "n_learned": counters.n_learned,
                    "n_scored": int(self._model.prequential.total_weight),
                    "balanced_accuracy": round(float(self._model.prequential.get()), 3),
                    "n_label_requests": counters.n_label_requests,
                    "n_drifts": counters.n_drifts,
                    "n_unsure": labels.unsure,
                }

        if self._on_window_closed is not None:
            self._on_window_closed()

    def on_marker(self, t_s: float, marker: str) -> None:
        with self._lock:
            kind = marker.split(":", 1)[0]
            self._event(t_s, kind if kind in ("label-request", "drift") else "output", marker)
            if kind == "label-request":
                span = marker.split(":")[1].rstrip("s")
                self._request = {"t_s": t_s, "span_s": float(span), "wall_s": time.time()}

    def close(self) -> None:
        with self._lock:
            self._ended = True

    # -- server thread --------------------------------------------------------------------
    def submit(self, markers: Sequence[str], *, answers_request: bool = False) -> float:
        """Send markers into the pipeline, stamped with the newest data time; returns it."""
        with self._lock:
            if self._ended or not math.isfinite(self._newest_t_s):
                raise InboxUnavailable("the session has ended" if self._ended else "no data yet")
            t_s = self._newest_t_s
            if answers_request:
                self._request = None
        for marker in markers:
            self.inbox.put_threadsafe(t_s, marker)
        return t_s

    def open_request(self) -> tuple[dict[str, Any] | None, bool]:
        """The model's unanswered label request (or None), and whether the session ended."""
        with self._lock:
            return (dict(self._request) if self._request else None), self._ended

    def describe(self) -> dict[str, Any]:
        """What does not change during a session: slot, classes, report span."""
        return {"slot": self.slot, "classes": list(self.classes), "span_s": self.report_span_s}

    def delta(self, cursor: Cursor, *, until: Cursor | None = None) -> dict[str, Any]:
        """New trace points and events since `cursor` (advanced in place), plus every current
        value. With `until`, only up to that cursor (a new reader's catch-up)."""
        now = time.time()
        with self._lock:
            traces = {}
            for name, trace in self._traces.items():
                hi = trace.n_written if until is None else until.traces.get(name, 0)
                t, v = trace.since(cursor.traces.get(name, 0), hi)
                cursor.traces[name] = hi
                if t:
                    traces[name] = [t, v]
            hi_events = self._n_events if until is None else until.events
            first_held = self._n_events - len(self._events)
            lo = max(cursor.events, first_held)
            events = [self._events[i - first_held] for i in range(lo, hi_events)]
            cursor.events = hi_events
            latest = dict(self._latest)
            streams = {
                kind: {
                    "channel": s["channel"],
                    "unit": s["unit"],
                    "samples": s["samples"],
                    "stale": now - s.get("wall_s", now) > STALE_AFTER_S and not self._ended,
                }
                for kind, s in self._streams.items()
            }
            request = dict(self._request) if self._request else None
            ended = self._ended
        latest["streams"] = streams
        latest["flags"] = _flags(latest, streams)
        latest["request"] = request
        latest["ended"] = ended
        latest["recording"] = self._recording(now)
        latest["t_s"] = self._newest_t_s if math.isfinite(self._newest_t_s) else None
        latest["data_s"] = (
            self._newest_t_s - self._first_t_s if math.isfinite(self._newest_t_s) else None
        )
        return {"slot": self.slot, "traces": traces, "events": events, "latest": latest}

    def cursor(self) -> Cursor:
        """A cursor at the newest point of every trace and event."""
        with self._lock:
            return Cursor({n: t.n_written for n, t in self._traces.items()}, self._n_events)

    # -- internals (lock held) ------------------------------------------------------------
    def _trace(self, name: str, capacity: int, min_step_s: float = 0.0) -> Trace:
        trace = self._traces.get(name)
        if trace is None:
            trace = self._traces[name] = Trace(capacity, min_step_s)
        return trace

    def _event(self, t_s: float, kind: str, text: str) -> None:
        self._events.append({"t_s": round(t_s, 3), "kind": kind, "text": text})
        self._n_events += 1

    def _recording(self, now: float) -> dict[str, Any] | None:
        recorder = self._recorder
        if recorder is None or recorder.path is None:
            return None
        checked, size = self._size_cache
        if now - checked > 1.0:
            size = _folder_bytes(recorder.path)
            self._size_cache = (now, size)
        consent = recorder.consent
        return {
            "path": str(recorder.path),
            "consent": list(consent.scope) if consent is not None else None,
            "elapsed_s": round(now - self._opened_wall_s, 1) if self._opened_wall_s else 0.0,
            "bytes": size,
            "error": str(recorder.error) if recorder.error is not None else None,
        }


def _raw_capacity() -> int:
    return 2 * int(RAW_SPAN_S * RAW_POINTS_PER_S) + 32


def _flags(latest: dict[str, Any], streams: dict[str, dict[str, Any]]) -> list[str]:
    """Short warnings for the grid: stale or missing streams, low quality or coverage."""
    flags = [f"{kind} stale" for kind, s in streams.items() if s["stale"]]
    flags += [f"{k} missing" for k, v in latest.get("coverage", {}).items() if v == 0]
    flags += [
        f"{k} coverage {v:.0%}"
        for k, v in latest.get("coverage", {}).items()
        if 0 < v < LOW_QUALITY
    ]
    flags += [
        f"{k} quality {v:.2f}" for k, v in latest.get("quality", {}).items() if v < LOW_QUALITY
    ]
    return flags


def _folder_bytes(path: Path) -> int:
    try:
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    except OSError:
        return 0
