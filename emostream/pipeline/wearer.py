"""One wearer's processing chain: windows → features → model → sinks. Synchronous and I/O-free
apart from the sinks, so it can be fed directly in tests and hosted many times per process."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from emostream.core.chunk import Chunk
from emostream.core.clock import lsl_now_s
from emostream.core.events import Gap, SourceEvent
from emostream.core.spec import StreamSpec
from emostream.features.base import FeatureVector
from emostream.features.engine import FeatureEngine
from emostream.models.incongruence import incongruence
from emostream.pipeline.latency import WindowLatency
from emostream.sinks.base import Sink
from emostream.sync import StalenessTracker
from emostream.windowing import WindowConfig, Windower, stream_key

if TYPE_CHECKING:
    from emostream.models.online import OnlineStateModel

log = logging.getLogger(__name__)


@dataclass(slots=True)
class WindowResult:
    features: FeatureVector
    prediction: dict[str, Any] | None
    markers: list[str] = field(default_factory=list)


@dataclass(slots=True)
class WearerCounters:
    n_chunks: int = 0
    n_samples: int = 0
    n_windows: int = 0
    n_gaps: int = 0
    n_markers_out: int = 0


class WearerPipeline:
    """Feeds events into a Windower; each closed window goes through features, model, sinks."""

    def __init__(
        self,
        window: WindowConfig,
        specs: Sequence[StreamSpec],
        feature_params: dict[str, Any],
        *,
        model: OnlineStateModel | None = None,
        sinks: Sequence[Sink] = (),
    ):
        self.windower = Windower(window)
        self._keys: dict[str, str] = {}
        windowed: dict[str, StreamSpec] = {}
        for spec in specs:
            key = self.windower.add_stream(spec, stream_key(spec))
            self._keys[spec.source_id] = key
            if not spec.is_event_markers:
                windowed[key] = spec
        # each extractor keeps a window and the hop before it (ACC slides its sums from there)
        self.engine = FeatureEngine(
            feature_params, windowed, history_s=window.length_s + 2 * window.hop_s
        )
        self.staleness = StalenessTracker()
        self.model = model
        self.sinks = list(sinks)
        self.counters = WearerCounters()
        #: arrival of the chunk that closed a window → its processing done (live sources)
        self.latency = WindowLatency()

    def push(self, event: SourceEvent) -> list[WindowResult]:
        """Take one source event; return the windows it closed."""
        if isinstance(event, Gap):
            key = self._keys.get(event.source_id)
            if key is not None:
                self.windower.mark_gap(key, event.t_from_s, event.t_to_s)
            self.counters.n_gaps += 1
            for sink in self.sinks:
                sink.on_gap(event)
            return []
        if not isinstance(event, Chunk):
            for sink in self.sinks:
                sink.on_event(event)
            return []
        self._take_chunk(event)
        windows = self.windower.pop_ready()
        if not windows:
            lead_in = self.windower.pop_lead_in()
            if lead_in:
                self.engine.feed(lead_in)
            return []
        results = self._process(windows)
        if event.arrival_s is not None and len(event.arrival_s):
            self.latency.add(lsl_now_s() - float(event.arrival_s[-1]), len(windows))
        return results

    def finish(self) -> list[WindowResult]:
        """Close every window the data allows (end of a recording), then learn from the markers
        after the last window, such as the end of the last phase."""
        results = self._process(self.windower.pop_ready(flush=True))
        trailing = self.windower.pop_undelivered_markers()
        if self.model is not None and trailing:
            _, emitted = self.model.learn_markers(trailing)
            self._emit(trailing[-1][0], emitted)
        return results

    def _take_chunk(self, chunk: Chunk) -> None:
        self.counters.n_chunks += 1
        self.counters.n_samples += len(chunk)
        self.windower.push(chunk, self._keys.get(chunk.spec.source_id))
        for sink in self.sinks:
            sink.on_chunk(chunk)
        if self.model is not None and chunk.spec.is_event_markers and len(chunk):
            # a self-report reaches the model now, not when the next window closes
            _, emitted = self.model.learn_reports(chunk.markers())
            self._emit(chunk.t_last, emitted)

    def _emit(self, t_s: float, markers: list[str]) -> None:
        """Hand the markers the model emitted between windows (drift) to the sinks."""
        for sink in self.sinks:
            for marker in markers:
                sink.on_marker(t_s, marker)
        self.counters.n_markers_out += len(markers)

    def _process(self, windows: list) -> list[WindowResult]:
        results = []
        for window in windows:
            fv = self.engine.process(window)
            fv.staleness = self.staleness.update(window)
            prediction = None
            markers: list[str] = []
            if self.model is not None:
                step = self.model.step(fv)
                prediction, markers = step.prediction, step.markers
                prediction.update(incongruence(fv.values, prediction))
            self.counters.n_windows += 1
            for sink in self.sinks:
                sink.on_window(fv, prediction)
                for marker in markers:
                    sink.on_marker(fv.t_end, marker)
            self.counters.n_markers_out += len(markers)
            results.append(WindowResult(fv, prediction, markers))
        return results
