"""FeatureEngine: binds the configured extractors to streams and turns windows into rows."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from emostream.core.spec import StreamSpec
from emostream.features.base import MAX_HISTORY_S, Extractor, FeatureVector, make_extractor
from emostream.features.registry import EXTRACTORS
from emostream.windowing import Window


def bind_stream(cls: type[Extractor], params: Any, specs: dict[str, StreamSpec]) -> str | None:
    """Key of the stream an extractor reads: `params.stream` if set, else the first stream of
    its most preferred kind."""
    wanted = getattr(params, "stream", "")
    if wanted:
        spec = specs.get(wanted)
        return wanted if spec is not None and spec.kind in cls.kinds else None
    for kind in cls.kinds:
        for key, spec in specs.items():
            if spec.kind == kind and not spec.is_event_markers:
                return key
    return None


class FeatureEngine:
    """Runs every configured extractor on each window: fresh samples in, one FeatureVector out.

    An extractor whose input stream is missing is skipped; its features are absent and
    `FeatureVector.reasons[name]` says why. `FeatureVector.markers` holds the markers new in
    the window (each marker reaches exactly one window), so a model fed these vectors sees
    every label marker once.
    """

    def __init__(
        self,
        params: dict[str, Any],
        specs: dict[str, StreamSpec],
        history_s: float = MAX_HISTORY_S,
    ):
        """`history_s`: seconds of its stream each extractor keeps, at least a window and the
        hop before it."""
        self.bound: list[tuple[str, str, Extractor]] = []
        self.unbound: dict[str, str] = {}
        for name, p in params.items():
            cls = EXTRACTORS.get(name)
            key = bind_stream(cls, p, specs)
            if key is None:
                want = p.stream or " or ".join(cls.kinds)
                self.unbound[name] = f"no input stream ({want})"
            else:
                self.bound.append((name, key, make_extractor(cls, specs[key], p, history_s)))

    def feed(self, fresh: Mapping[str, tuple[np.ndarray, np.ndarray]]) -> None:
        """Hand the extractors samples before the window that holds them closes
        (`Windower.pop_lead_in`); that window then carries only the rest as fresh."""
        for _, key, extractor in self.bound:
            part = fresh.get(key)
            if part is not None:
                extractor.update(*part)

    def process(self, window: Window) -> FeatureVector:
        fv = FeatureVector(
            window.t_start,
            window.t_end,
            coverage=dict(window.coverage),
            flags=dict(window.flags),
            reasons=dict(self.unbound),
            markers=list(window.fresh_markers),
        )
        for name, key, extractor in self.bound:
            part = window.streams.get(key)
            if part is None:
                fv.reasons[name] = f"stream '{key}' not in window"
                continue
            if part.fresh_timestamps.size:
                extractor.update(part.fresh_timestamps, part.fresh_data)
            min_coverage = extractor.params.min_coverage
            if window.coverage.get(key, 0.0) < min_coverage:
                fv.reasons[name] = (
                    f"coverage_{key} {window.coverage.get(key, 0.0):.2f} < {min_coverage:.2f}"
                )
                continue
            out = extractor.compute(window, key)
            fv.values.update(out.values)
            fv.quality.update(out.quality)
            fv.reasons.update(out.reasons)
        return fv

    def reset(self) -> None:
        for _, _, extractor in self.bound:
            extractor.reset()
