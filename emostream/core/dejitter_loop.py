"""The timestamp guard's common case as one compiled loop: a chunk of a dejittered stream
whose timestamps are all good (see `emostream.core.timestamps`).

A live LSL stream passes the guard chunk by chunk, tens of times a second per stream, and most
chunks hold only a few samples; in NumPy each check and each step of the running line fit is
a separate call. Here they are one. Any chunk with a bad timestamp, or one far enough ahead of
the fit to restart it, is left (untouched) to the guard's general path.
"""

from __future__ import annotations

import functools

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def dejitter_good_chunk(
    c: np.ndarray,
    last_s: float,
    max_back_s: float,
    max_ahead_s: float,
    restart_s: float,
    period_s: float,
    n0: float,
    x0: float,
    y0: float,
    decay: float,
    prior_slope: float,
    prior_weight: float,
    sums: np.ndarray,
    out: np.ndarray,
) -> bool:
    """Stamp `c` (n timestamps, on the stream's clock; the previous one handed on was
    `last_s`) into `out` with the running line fit of timestamp against sample number (`n0`
    the first sample's; the fit's origin (`x0`, `y0`), forgetting factor `decay`, slope prior,
    and weighted sums `sums`, see `emostream.timing.RunningLineFit`), and add them to the fit
    (`sums` in place).
    False, changing nothing, when a timestamp is not finite, steps back by more than
    `max_back_s` or ahead by more than `max_ahead_s`, or lies over `restart_s` ahead of the
    fit."""
    n = c.shape[0]
    previous = last_s
    for i in range(n):
        step = c[i] - previous
        if not (step >= -max_back_s and step <= max_ahead_s):
            return False
        previous = c[i]
    w, sx, sy, sxx, sxy = sums[0], sums[1], sums[2], sums[3], sums[4]
    slope = (sxy - sx * sy / w + prior_weight * prior_slope) / (sxx - sx * sx / w + prior_weight)
    intercept = sy / w - slope * sx / w
    for i in range(n):
        if c[i] - (y0 + intercept + slope * (n0 + i - x0)) > restart_s:
            return False
    dm = decay**n
    sw = swx = swy = swxx = swxy = 0.0
    for i in range(n):
        weight = decay ** (n - 1 - i)
        dx = n0 + i - x0
        dy = c[i] - y0
        sw += weight
        swx += weight * dx
        swy += weight * dy
        swxx += weight * dx * dx
        swxy += weight * dx * dy
    w, sx, sy = dm * w + sw, dm * sx + swx, dm * sy + swy
    sxx, sxy = dm * sxx + swxx, dm * sxy + swxy
    sums[0], sums[1], sums[2], sums[3], sums[4] = w, sx, sy, sxx, sxy
    slope = (sxy - sx * sy / w + prior_weight * prior_slope) / (sxx - sx * sx / w + prior_weight)
    intercept = sy / w - slope * sx / w
    for i in range(n):
        stamped = y0 + intercept + slope * (n0 + i - x0)
        floor = last_s + 0.5 * period_s * (i + 1)  # never step back
        out[i] = stamped if stamped > floor else floor
    return True


@functools.cache
def warm_up() -> None:
    """Compile (first run after installing) or load from numba's cache, once per process, so
    that a live stream's first chunk does not stall on it."""
    c = np.arange(3, dtype=np.float64)
    dejitter_good_chunk(
        c, -1.0, 1.0, 2.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.9, 1.0, 1.0, np.ones(5), np.empty(3)
    )
