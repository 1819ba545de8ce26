"""Chunk: a block of samples of one stream, validated when built."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from emostream.core.spec import StreamSpec
from emostream.errors import StreamError


def marker_pairs(timestamps: np.ndarray, data: np.ndarray) -> list[tuple[float, str]]:
    """(time, text) of each sample of a markers stream (text in the first column)."""
    return [(float(t), str(m)) for t, m in zip(timestamps, data[:, 0], strict=True)]


@dataclass(frozen=True, slots=True)
class Chunk:
    """`timestamps` (n,) float64 seconds and `data` (n, channels); markers hold strings.

    Non-finite values are allowed (they are counted in `n_nonfinite`); non-finite timestamps
    and a wrong channel count are rejected. Out-of-order timestamps are counted, not fixed.
    `arrival_s` optionally keeps the raw arrival times next to the corrected timestamps.
    """

    spec: StreamSpec
    timestamps: np.ndarray
    data: np.ndarray
    arrival_s: np.ndarray | None = None

    def __post_init__(self) -> None:
        ts = self.timestamps
        name = self.spec.name
        if not isinstance(ts, np.ndarray) or ts.ndim != 1 or ts.dtype != np.float64:
            raise StreamError(f"stream '{name}': timestamps must be a 1-D float64 array")
        if not isinstance(self.data, np.ndarray) or self.data.ndim != 2:
            raise StreamError(f"stream '{name}': data must be a 2-D array (samples, channels)")
        n, n_channels = self.data.shape
        if n != ts.shape[0]:
            raise StreamError(f"stream '{name}': {ts.shape[0]} timestamps but {n} samples")
        if n_channels != self.spec.n_channels:
            raise StreamError(
                f"stream '{name}': chunk has {n_channels} channels but the stream declares "
                f"{self.spec.n_channels} ({', '.join(self.spec.channels)})"
            )
        if self.spec.is_markers:
            if self.data.dtype != object:
                raise StreamError(f"stream '{name}': marker data must be an object array of str")
        elif not np.issubdtype(self.data.dtype, np.number):
            raise StreamError(f"stream '{name}': numeric stream got dtype {self.data.dtype}")
        if n and not np.all(np.isfinite(ts)):
            raise StreamError(f"stream '{name}': timestamps must be finite")
        if self.arrival_s is not None and self.arrival_s.shape != ts.shape:
            raise StreamError(f"stream '{name}': arrival_s must match timestamps")

    @classmethod
    def from_arrays(
        cls,
        spec: StreamSpec,
        timestamps: np.ndarray | list[float],
        data: np.ndarray | list,
        arrival_s: np.ndarray | None = None,
    ) -> Chunk:
        """Build a chunk, converting timestamps to float64 and 1-D data to one column."""
        ts = np.asarray(timestamps, dtype=np.float64).reshape(-1)
        if spec.is_markers:
            n_channels = spec.n_channels
            arr = np.empty((len(data), n_channels), dtype=object)
            for i, row in enumerate(data):
                values = list(row) if isinstance(row, (list, tuple, np.ndarray)) else [row]
                values = (values + [""] * n_channels)[:n_channels]
                arr[i] = [str(v) for v in values]
        else:
            arr = np.asarray(data)
            if arr.ndim == 1 and spec.n_channels == 1:
                arr = arr.reshape(-1, 1)
        return cls(spec, ts, arr, arrival_s)

    def __len__(self) -> int:
        return int(self.timestamps.shape[0])

    def markers(self) -> list[tuple[float, str]]:
        """(time, text) of each sample of a markers chunk."""
        return marker_pairs(self.timestamps, self.data)

    @property
    def t_first(self) -> float:
        return float(self.timestamps[0])

    @property
    def t_last(self) -> float:
        return float(self.timestamps[-1])

    @property
    def n_nonfinite(self) -> int:
        """Samples with at least one NaN or inf value."""
        if self.spec.is_markers or not len(self):
            return 0
        return int(np.count_nonzero(~np.all(np.isfinite(self.data), axis=1)))

    def n_out_of_order(self, after_s: float = -np.inf) -> int:
        """Samples whose timestamp is not later than every earlier one (and than `after_s`)."""
        return int(np.count_nonzero(~in_order_mask(self.timestamps, after_s)))


def in_order_mask(timestamps: np.ndarray, after_s: float = -np.inf) -> np.ndarray:
    """True for samples later than every earlier sample and than `after_s`."""
    if not timestamps.size:
        return np.zeros(0, dtype=bool)
    running_max = np.maximum.accumulate(np.concatenate(([after_s], timestamps[:-1])))
    return timestamps > running_max
