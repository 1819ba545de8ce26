"""Min/max envelopes: a long signal shrunk to a few thousand points that keep every peak."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class Envelope:
    """Per bin: its first timestamp `t_s` (n_bins,), and `low`/`high` (n_bins, channels), the
    smallest and largest finite value in the bin (NaN for a bin with none)."""

    t_s: np.ndarray
    low: np.ndarray
    high: np.ndarray


def envelope(timestamps: np.ndarray, data: np.ndarray, n_bins: int) -> Envelope:
    """Bins of equal sample count (no per-sample Python loop); a signal with at most
    2·`n_bins` samples is returned as it is (low = high = the samples)."""
    values = np.asarray(data, dtype=np.float64)
    if values.ndim == 1:
        values = values[:, None]
    ts = np.asarray(timestamps, dtype=np.float64)
    if len(ts) <= 2 * n_bins:
        return Envelope(ts, values, values)
    starts = np.linspace(0, len(ts), n_bins, endpoint=False).astype(np.int64)
    finite = np.isfinite(values)
    with np.errstate(invalid="ignore"):
        low = np.minimum.reduceat(np.where(finite, values, np.inf), starts, axis=0)
        high = np.maximum.reduceat(np.where(finite, values, -np.inf), starts, axis=0)
    empty = ~np.isfinite(low)
    low[empty] = np.nan
    high[empty] = np.nan
    return Envelope(ts[starts], low, high)
