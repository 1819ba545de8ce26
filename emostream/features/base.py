"""Extractor contract: a pure function of a window, wrapped by a thin stateful streaming object.

`update()` receives each sample exactly once (the samples new since the previous window);
`compute()` returns the features of the window. A conformance suite checks every registered
extractor: streamed in any chunking, `compute()` equals the pure function on the window.
"""

from __future__ import annotations

import abc
import inspect
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from emostream.core.spec import StreamSpec
from emostream.windowing import Window

#: the longest history an extractor keeps unless told (the engine sizes it to the window)
MAX_HISTORY_S = 600.0


@dataclass(slots=True)
class FeatureVector:
    """One window's output. Absent features are absent keys: never 0, never NaN."""

    t_start: float
    t_end: float
    values: dict[str, float] = field(default_factory=dict)
    quality: dict[str, float] = field(default_factory=dict)
    coverage: dict[str, float] = field(default_factory=dict)
    flags: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: why a group of features is absent, e.g. {"hrv": "quality_ecg 0.31 < 0.50"}
    reasons: dict[str, str] = field(default_factory=dict)
    #: (t_s, marker) new in this window: each marker is in exactly one window's vector
    markers: list[tuple[float, str]] = field(default_factory=list)
    #: age (s) of each stream's newest sample at the window's end; never a model input
    staleness: dict[str, float] = field(default_factory=dict)

    def row(self) -> dict[str, float]:
        """Flat row with the stable column names (t_start, t_end, features, quality_*, coverage_*)."""
        out: dict[str, float] = {"t_start": self.t_start, "t_end": self.t_end}
        out.update(self.values)
        out.update({f"quality_{k}": v for k, v in self.quality.items()})
        out.update({f"coverage_{k}": v for k, v in self.coverage.items()})
        out.update({f"staleness_{k}_s": v for k, v in self.staleness.items()})
        return out


@dataclass(slots=True)
class ExtractorOutput:
    values: dict[str, float] = field(default_factory=dict)
    quality: dict[str, float] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)


class Extractor(abc.ABC):
    """Stateful streaming extractor bound to one input stream.

    Subclasses set `name` (the `[features.<name>]` table in a pipeline), `kinds` (the stream
    kinds it accepts, in order of preference) and `Params` (a dataclass of its settings).
    """

    name: ClassVar[str]
    kinds: ClassVar[tuple[str, ...]]
    Params: ClassVar[type[Any]]

    def __init__(self, spec: StreamSpec, params: Any, history_s: float = MAX_HISTORY_S):
        self.spec = spec
        self.params = params
        #: seconds of its stream it keeps (a pipeline passes its window and two hops), or
        #: more where a feature looks further back
        self.history_s = history_s

    @abc.abstractmethod
    def update(self, timestamps: np.ndarray, data: np.ndarray) -> None:
        """Consume samples not seen before (in time order)."""

    @abc.abstractmethod
    def compute(self, window: Window, key: str) -> ExtractorOutput:
        """Features of `window`, whose slice of this extractor's stream is `window.streams[key]`."""

    def reset(self) -> None:  # noqa: B027
        """Forget all state (start of a new session)."""


def make_extractor(
    cls: type[Extractor], spec: StreamSpec, params: Any, history_s: float
) -> Extractor:
    """An extractor of `cls` keeping `history_s` of its stream, when its constructor takes
    `history_s` (one that does not keeps MAX_HISTORY_S)."""
    if "history_s" in inspect.signature(cls).parameters:
        return cls(spec, params, history_s=history_s)
    return cls(spec, params)
