"""A Recording as pandas DataFrames (one per stream) or as one MNE Raw."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from emostream.errors import UsageError
from emostream.formats.base import Recording
from emostream.formats.export import stream_table

if TYPE_CHECKING:
    import mne
    import pandas as pd

#: stream kind -> MNE channel type; other kinds are "misc"
MNE_TYPES = {"ECG": "ecg", "EEG": "eeg", "EDA": "gsr", "RSP": "resp", "TEMP": "temperature"}
#: unit (or its first 8 characters, as EDF keeps it) -> volts, the unit MNE expects
TO_VOLTS = {
    **{"volts": 1.0, "v": 1.0, "millivol": 1e-3, "mv": 1e-3},
    **{"microvol": 1e-6, "uv": 1e-6, "µv": 1e-6},
}


def volts_per(unit: str) -> float:
    """Factor from `unit` to volts (1 for a unit not known as a voltage)."""
    unit = unit.lower()
    return TO_VOLTS.get(unit, TO_VOLTS.get(unit[:8], 1.0))


def to_pandas(recording: Recording) -> dict[str, pd.DataFrame]:
    """One DataFrame per stream key: a `timestamp` column (s) and one column per channel."""
    return {key: stream_table(s).to_pandas() for key, s in recording.streams.items()}


def to_mne(recording: Recording, sfreq_hz: float | None = None) -> mne.io.RawArray:
    """Every regularly sampled numeric stream on one time grid at `sfreq_hz` (default: the
    highest nominal rate), linearly interpolated; markers become annotations. Channels are
    named `<kind> <channel>`; ECG/EEG in volts, as MNE expects."""
    import mne

    regular = [
        s
        for s in recording.streams.values()
        if not s.spec.is_markers and s.spec.rate_hz > 0 and len(s.timestamps) >= 2
    ]
    if not regular:
        raise UsageError("the recording has no regularly sampled stream to put in an MNE Raw")
    sfreq = sfreq_hz or max(s.spec.rate_hz for s in regular)
    t0 = min(float(s.timestamps[0]) for s in regular)
    t1 = max(float(s.timestamps[-1]) for s in regular)
    grid = t0 + np.arange(int(np.floor((t1 - t0) * sfreq)) + 1) / sfreq
    names, types, rows = [], [], []
    for stream in regular:
        for i, (label, unit) in enumerate(
            zip(stream.spec.channels, stream.spec.units, strict=True)
        ):
            values = np.asarray(stream.data[:, i], dtype=np.float64)
            ok = np.isfinite(values)
            if not ok.any():
                continue
            row = np.interp(grid, stream.timestamps[ok], values[ok], left=np.nan, right=np.nan)
            names.append(f"{stream.spec.kind} {label}")
            kind = MNE_TYPES.get(stream.spec.kind, "misc")
            types.append(kind)
            rows.append(row * volts_per(unit) if kind in ("ecg", "eeg") else row)
    raw = mne.io.RawArray(np.vstack(rows), mne.create_info(names, sfreq, types), verbose="error")
    onsets: list[float] = []
    texts: list[str] = []
    for stream in recording.streams.values():
        if stream.spec.is_markers:
            onsets.extend(float(t) - t0 for t in stream.timestamps)
            texts.extend(str(text) for text in stream.data[:, 0])
    if recording.unix_offset_s is not None:
        raw.set_meas_date(t0 + recording.unix_offset_s)
    if onsets:  # markers outside the grid are left out
        annotations = mne.Annotations(onsets, [0.0] * len(onsets), texts)
        raw.set_annotations(annotations, emit_warning=False)
    return raw
