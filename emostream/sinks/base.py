"""Sink: receives raw chunks, and each window's features and prediction."""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from emostream.core.chunk import Chunk
    from emostream.core.events import Gap, StatusEvent
    from emostream.core.session import SessionInfo
    from emostream.features.base import FeatureVector


class Sink(abc.ABC):  # noqa: B024 - every hook is optional
    """All hooks are optional; sinks must not block the event loop for long."""

    def open(self, session: SessionInfo) -> None:  # noqa: B027
        """Called once before any data, with the session's provenance."""

    def on_chunk(self, chunk: Chunk) -> None:  # noqa: B027
        """A raw chunk as it arrived from a source."""

    def on_gap(self, gap: Gap) -> None:  # noqa: B027
        """A source reported a gap."""

    def on_event(self, event: StatusEvent) -> None:  # noqa: B027
        """A source's clock offset or link status, as the source reported it."""

    def on_window(self, features: FeatureVector, prediction: dict[str, object] | None) -> None:  # noqa: B027
        """A closed window's features and, if a model runs, its prediction row."""

    def on_marker(self, t_s: float, marker: str) -> None:  # noqa: B027
        """An output marker that emostream itself emitted (label request, drift, gap)."""

    def close(self) -> None:  # noqa: B027
        """Flush and release. Safe to call twice."""
