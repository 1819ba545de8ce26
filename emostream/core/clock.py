"""The one clock: float64 seconds on the LSL clock (`pylsl.local_clock`)."""

from __future__ import annotations

import time

import pylsl


def lsl_now_s() -> float:
    """Current time on the LSL clock, in seconds."""
    return float(pylsl.local_clock())


def unix_now_s() -> float:
    """Current unix time, in seconds; recorded next to the LSL clock to place sessions in time."""
    return time.time()


def lsl_to_unix_offset_s() -> float:
    """unix_time - lsl_time, measured now (both clocks are read back to back)."""
    lsl_before = lsl_now_s()
    unix = unix_now_s()
    lsl_after = lsl_now_s()
    return unix - 0.5 * (lsl_before + lsl_after)
