"""Source: an async producer of chunks for one or more streams on one clock."""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator

from emostream.core.events import SourceEvent
from emostream.core.spec import StreamSpec
from emostream.core.timestamps import TimestampStats


class Source(abc.ABC):
    """Yields `Chunk`s (and `Gap`s) in time order per stream until closed or exhausted.

    Live sources block on their transport; recorded sources either pace themselves to a
    virtual clock or yield as fast as the consumer takes them.
    """

    #: True for a source that never ends by itself (answers typed in a browser): the wearer's
    #: run ends when its other sources have ended
    ends_with_others: bool = False

    @property
    @abc.abstractmethod
    def specs(self) -> tuple[StreamSpec, ...]:
        """The streams this source delivers; known before the first event."""

    @abc.abstractmethod
    def events(self) -> AsyncIterator[SourceEvent]:
        """Iterate over chunks and gaps. Ends when the source is exhausted or closed."""

    def timestamp_stats(self) -> dict[str, TimestampStats]:
        """Per source_id, the bad timestamps found and what was done (sources that check)."""
        return {}

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release transports. Safe to call twice."""
