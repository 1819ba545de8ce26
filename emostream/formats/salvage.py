"""Salvage a recording's timestamps: every sample with a readable value is kept or repaired.

Each stream passes a `TimestampGuard` with no arrival clock: non-finite timestamps and jumps
(a step back of more than `max_jump_s`, or ahead by more than `max_gap_s`) are counted; a
regular stream's bad samples are re-stamped from its rate, an irregular stream's are dropped.
Nothing is rewritten on disk: what was done is in `meta["timestamps"]` (per stream key) and the
dropped spans in `meta["timestamp_gaps"]`. A session's arrival log is adjusted to match.
"""

from __future__ import annotations

import dataclasses
import logging

import numpy as np

from emostream.core.timestamps import TimestampGuard
from emostream.formats.base import RecordedStream, Recording
from emostream.formats.session.layout import ARRIVAL_LOG_KEY, ArrivalLog

log = logging.getLogger(__name__)


def _clean(ts: np.ndarray, max_jump_s: float, max_gap_s: float) -> bool:
    if not np.isfinite(ts).all():
        return False
    steps = np.diff(ts)
    return bool(steps.size == 0 or (steps.min() >= -max_jump_s and steps.max() <= max_gap_s))


def salvage_timestamps(
    recording: Recording, *, max_jump_s: float = 1.0, max_gap_s: float = 3600.0
) -> Recording:
    """`recording` with every stream's timestamps checked and repaired (itself if all clean)."""
    streams = dict(recording.streams)
    report: dict[str, dict[str, int]] = {}
    gaps: list[dict[str, object]] = []
    found = recording.meta.get(ARRIVAL_LOG_KEY)
    arrivals = found if isinstance(found, ArrivalLog) else None
    n_logged = arrivals.n_samples.copy() if arrivals is not None else None
    for key, stream in recording.streams.items():
        if _clean(stream.timestamps, max_jump_s, max_gap_s):
            continue
        guard = TimestampGuard(stream.spec.rate_hz, max_jump_s=max_jump_s, max_gap_s=max_gap_s)
        guarded = guard.apply(stream.timestamps)
        data = stream.data if guarded.keep is None else stream.data[guarded.keep]
        streams[key] = RecordedStream(stream.spec, guarded.timestamps, data)
        report[key] = dataclasses.asdict(guard.stats)
        gaps += [{"stream": key, "from_s": a, "to_s": b} for a, b in guarded.gaps]
        log.warning(
            "%s: %d non-finite and %d jumping timestamps; %d samples re-stamped from the rate, "
            "%d dropped",
            key,
            guard.stats.n_nonfinite,
            guard.stats.n_jumps,
            guard.stats.n_repaired,
            guard.stats.n_dropped,
        )
        if (
            guarded.keep is not None
            and arrivals is not None
            and n_logged is not None
            and key in arrivals.keys
        ):
            rows = np.flatnonzero(arrivals.stream == arrivals.keys.index(key))
            ends = np.cumsum(arrivals.n_samples[rows])
            chunk_of = np.searchsorted(ends, np.flatnonzero(~guarded.keep), side="right")
            n_logged[rows] -= np.bincount(chunk_of, minlength=rows.size + 1)[: rows.size]
    if not report:
        return recording
    meta = {**recording.meta, "timestamps": report, "timestamp_gaps": gaps}
    if arrivals is not None and n_logged is not None:
        meta[ARRIVAL_LOG_KEY] = dataclasses.replace(arrivals, n_samples=n_logged)
    return Recording(streams, recording.unix_offset_s, meta)
