"""Checked argument types: argparse reports a bad value with the option's name (exit 2)."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from pathlib import Path

from emostream.sources.config import MAX_DURATION_S, MAX_SPEED


def _number(low: float, high: float, *, low_open: bool) -> Callable[[str], float]:
    bracket = "(" if low_open else "["

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        above = value > low if low_open else value >= low
        if not (math.isfinite(value) and above and value <= high):
            raise argparse.ArgumentTypeError(f"must be in {bracket}{low:g}, {high:g}], got {text}")
        return value

    return parse


#: seconds of a session or of a wait: > 0 and at most a week
seconds = _number(0.0, MAX_DURATION_S, low_open=True)
#: seconds that may be 0 (an offset, an optional wait)
seconds_or_zero = _number(0.0, MAX_DURATION_S, low_open=False)
#: a multiple of real time, > 0
speed = _number(0.0, MAX_SPEED, low_open=True)
#: a multiple of real time where 0 means as fast as possible
speed_or_zero = _number(0.0, MAX_SPEED, low_open=False)
#: a sampling rate in Hz
rate_hz = _number(0.0, 1e6, low_open=True)


def _integer(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be in [{low}, {high}], got {text}")
        return value

    return parse


#: a random seed: an integer in [0, 2**32)
seed = _integer(0, 2**32 - 1)
#: a TCP port number
port = _integer(1, 65535)
#: how many wearers one process publishes or hosts
wearers = _integer(1, 1000)


def wearers_or_auto(text: str) -> int | str:
    """`wearers`, or "auto" (the command decides)."""
    return "auto" if text == "auto" else wearers(text)


def folder(text: str) -> Path:
    """A folder path; an empty string is refused rather than read as the current folder."""
    if not text.strip():
        raise argparse.ArgumentTypeError("must name a folder, got an empty string")
    return Path(text)
