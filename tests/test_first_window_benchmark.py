"""The first-window benchmark (`benchmarks/first_window.py`): every wearer's windows are
timed on the real pipeline and LSL outlets, its first one and the later ones."""

from __future__ import annotations

from benchmarks.first_window import LATER_WINDOWS, measure, summary


def test_every_wearer_has_its_first_window_and_the_later_ones_timed() -> None:
    timings = measure(2)["timings"]
    assert [len(t) for t in timings] == [1 + LATER_WINDOWS] * 2
    result = summary(timings)
    assert result["first_wall_p50_ms"] > 0 and result["later_wall_p50_ms"] > 0
