"""LSL outlets: one pylsl outlet per stream spec, with XDF channel meta-data."""

from __future__ import annotations

import time
from collections.abc import Iterable

import numpy as np
import pylsl

from emostream.core.chunk import Chunk
from emostream.core.lslinfo import spec_to_info
from emostream.core.spec import StreamSpec
from emostream.errors import StreamError

#: at the normal end of a stream, keep outlets this long so subscribers get the last samples
END_LINGER_S = 1.0


class StreamOutlets:
    """Publishes chunks of known streams, stamping each sample with its own timestamp.

    Timestamps must already be on the LSL clock. Outlets are kept for the object's lifetime,
    so a source that reconnects keeps publishing under the same source_id.
    """

    def __init__(
        self,
        specs: Iterable[StreamSpec],
        *,
        manufacturer: str = "",
        model: str = "",
        chunk_size: int = 0,
        max_buffered_s: int = 360,
    ):
        self._outlets: dict[str, tuple[StreamSpec, pylsl.StreamOutlet]] = {}
        for spec in specs:
            if spec.source_id in self._outlets:
                raise StreamError(f"two streams share source_id {spec.source_id!r}")
            info = spec_to_info(spec, manufacturer=manufacturer, model=model)
            outlet = pylsl.StreamOutlet(info, chunk_size, max_buffered_s)
            self._outlets[spec.source_id] = (spec, outlet)

    @property
    def specs(self) -> tuple[StreamSpec, ...]:
        return tuple(spec for spec, _ in self._outlets.values())

    def push(self, chunk: Chunk, source_id: str | None = None) -> None:
        """Push all samples of a chunk on the outlet with `source_id` (default: the chunk's
        own), which must be one of ours."""
        entry = self._outlets.get(source_id or chunk.spec.source_id)
        if entry is None:
            raise StreamError(f"no outlet for stream {chunk.spec.name!r} ({chunk.spec.source_id})")
        spec, outlet = entry
        if not len(chunk):
            return
        if spec.is_markers:
            for t, row in zip(chunk.timestamps, chunk.data, strict=True):
                outlet.push_sample([str(value) for value in row], float(t))
            return
        data = np.ascontiguousarray(
            chunk.data, dtype=np.float64 if spec.channel_format == "double64" else np.float32
        )
        outlet.push_chunk(data, chunk.timestamps)

    def push_marker(self, source_id: str, t_s: float, marker: str) -> None:
        """Push one marker string on the Markers outlet with this source_id."""
        spec, outlet = self._outlets[source_id]
        if not spec.is_markers:
            raise StreamError(f"{spec.name!r} is not a Markers stream")
        outlet.push_sample([marker], t_s)

    def have_consumers(self) -> bool:
        """True once any outlet has a subscriber."""
        return any(outlet.have_consumers() for _, outlet in self._outlets.values())

    def wait_for_consumers(self, timeout_s: float, poll_s: float = 0.05) -> bool:
        """Block until every outlet has a subscriber (True) or the timeout passes (False)."""
        deadline = time.monotonic() + timeout_s
        while not all(outlet.have_consumers() for _, outlet in self._outlets.values()):
            if time.monotonic() > deadline:
                return False
            time.sleep(poll_s)
        return True

    def close(self, linger_s: float = 0.0) -> None:
        """Destroy the outlets (subscribers see the streams disappear).

        liblsl sends in the background and drops what is unsent when an outlet is destroyed:
        at the normal end of a stream, give `linger_s` so subscribers get the last samples.
        """
        if linger_s > 0 and self.have_consumers():
            time.sleep(linger_s)
        self._outlets.clear()
