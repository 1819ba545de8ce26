"""Recording: streams held in memory (or memory-mapped), each on its own source clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from emostream.core.chunk import marker_pairs
from emostream.core.spec import StreamSpec

if TYPE_CHECKING:
    import mne
    import pandas as pd


@dataclass(frozen=True, slots=True)
class RecordedStream:
    """All samples of one stream: timestamps (n,) float64 seconds, data (n, channels).

    For markers, data is an object array of str with one column.
    """

    spec: StreamSpec
    timestamps: np.ndarray
    data: np.ndarray

    @property
    def duration_s(self) -> float:
        return float(self.timestamps[-1] - self.timestamps[0]) if len(self.timestamps) else 0.0

    def markers(self) -> list[tuple[float, str]]:
        """(time, text) of each sample of a markers stream."""
        return marker_pairs(self.timestamps, self.data)


@dataclass(slots=True)
class Recording:
    """A set of streams with a shared time base, plus where that time base sits in unix time.

    `unix_offset_s` is added to a timestamp to get unix seconds (None if unknown).
    `meta` holds format-specific provenance (file paths, device info, consent record, ...).
    """

    streams: dict[str, RecordedStream]
    unix_offset_s: float | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def t_start_s(self) -> float:
        return min(float(s.timestamps[0]) for s in self.streams.values() if len(s.timestamps))

    @property
    def t_end_s(self) -> float:
        return max(float(s.timestamps[-1]) for s in self.streams.values() if len(s.timestamps))

    @property
    def duration_s(self) -> float:
        return self.t_end_s - self.t_start_s

    def to_pandas(self) -> dict[str, pd.DataFrame]:
        """One DataFrame per stream key: `timestamp` (s) and one column per channel."""
        from emostream.formats.frames import to_pandas

        return to_pandas(self)

    def to_mne(self, sfreq_hz: float | None = None) -> mne.io.RawArray:
        """The regularly sampled streams as one MNE Raw (see `formats.frames.to_mne`)."""
        from emostream.formats.frames import to_mne

        return to_mne(self, sfreq_hz)
