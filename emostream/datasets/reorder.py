"""The order-free (`shuffled`) protocol: a session re-assembled from its labelled segments.

Lab protocols run in a fixed order, so the time since the start predicts the label. To show
what physiology alone tells, each held-out session is cut into its labelled segments, the
declared baseline segment is kept first (a live session declares its baseline before
anything else), the others follow in a random order, and every stream's timestamps are
rewritten so that the session is continuous. Unlabelled stretches between segments are left
out. Features are then computed on the re-assembled signals, exactly as for a recording.
"""

from __future__ import annotations

import random
from dataclasses import replace

import numpy as np

from emostream.datasets.base import LabelledRecording, segment_markers
from emostream.formats.base import RecordedStream, Recording
from emostream.labels import LabelConfig, SegmentEdge, parse_marker


def labelled_segments(
    markers: list[tuple[float, str]], labels: LabelConfig, baseline_phase: str
) -> list[tuple[float, float, str]]:
    """(t_from_s, t_to_s, phase name) of every phase segment that carries a class or is the
    declared baseline, in time order."""
    segments: list[tuple[float, float, str]] = []
    opened: SegmentEdge | None = None
    for t_s, text in markers:
        edge = parse_marker(text, t_s)
        if not isinstance(edge, SegmentEdge) or edge.kind != "phase":
            continue
        if opened is not None and (edge.edge == "start" or edge.name == opened.name):
            if labels.class_of(opened.name) is not None or opened.name == baseline_phase:
                segments.append((opened.t_s, edge.t_s, opened.name))
            opened = None
        if edge.edge == "start":
            opened = edge
    return [s for s in segments if s[1] > s[0]]


def shuffled_order(
    segments: list[tuple[float, float, str]], baseline_phase: str, seed: int
) -> list[tuple[float, float, str]]:
    """The declared baseline segments first (in their order), the rest in a seeded random order."""
    first = [s for s in segments if s[2] == baseline_phase]
    rest = [s for s in segments if s[2] != baseline_phase]
    random.Random(seed).shuffle(rest)
    return first + rest


def _cut_and_join(
    stream: RecordedStream, pieces: list[tuple[float, float, float]]
) -> RecordedStream:
    """Samples of each (t_from_s, t_to_s, shift_s) piece, shifted and joined in piece order."""
    ts_parts, data_parts = [], []
    for t_from, t_to, shift in pieces:
        lo, hi = np.searchsorted(stream.timestamps, [t_from, t_to], side="left")
        ts_parts.append(stream.timestamps[lo:hi] + shift)
        data_parts.append(stream.data[lo:hi])
    ts = np.concatenate(ts_parts) if ts_parts else stream.timestamps[:0]
    data = np.concatenate(data_parts) if data_parts else stream.data[:0]
    return RecordedStream(stream.spec, ts, data)


def reassemble(
    item: LabelledRecording, labels: LabelConfig, baseline_phase: str, seed: int
) -> LabelledRecording:
    """The session re-assembled in a shuffled segment order (see the module docstring)."""
    segments = shuffled_order(
        labelled_segments(item.markers, labels, baseline_phase), baseline_phase, seed
    )
    t_s = item.recording.t_start_s
    pieces: list[tuple[float, float, float]] = []
    placed: list[tuple[float, float, str]] = []
    for t_from, t_to, name in segments:
        pieces.append((t_from, t_to, t_s - t_from))
        placed.append((t_s, t_s + (t_to - t_from), name))
        t_s += t_to - t_from
    streams = {
        key: _cut_and_join(stream, pieces)
        for key, stream in item.recording.streams.items()
        if stream.spec.kind != "Markers"
    }
    recording = Recording(
        {k: s for k, s in streams.items() if len(s.timestamps)},
        None,  # the re-assembled clock is no longer unix-anchored
        {**item.recording.meta, "reassembled_seed": seed},
    )
    return replace(item, recording=recording, markers=segment_markers(placed))
