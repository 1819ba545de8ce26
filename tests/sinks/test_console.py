"""The live console view, fed directly: what it shows per wearer and its running accuracy."""

from __future__ import annotations

import io

from rich.console import Console

from emostream.features.base import FeatureVector
from emostream.sinks.console import ConsoleView, WearersBoard


def _console() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=False, width=300), out


def _window(t_end: float, hr: float, markers=()) -> FeatureVector:
    return FeatureVector(
        t_end - 60.0,
        t_end,
        {"hr_bpm": hr, "eda_scl_us": 4.0},
        coverage={"ecg": 1.0},
        markers=list(markers),
    )


def test_accuracy_counts_only_labelled_windows_the_model_gave_a_state():
    console, out = _console()
    view = ConsoleView(console, line_every_s=0.0)
    predictions = [
        {"state": "stress", "confidence": 0.9, "label": "stress"},
        {"state": "calm", "confidence": 0.6, "label": "stress"},
        {"state": "unknown", "confidence": 0.0, "label": "stress"},  # no state: not scored
        {"state": "calm", "confidence": 0.8},  # no label: not scored
        {"state": "calm", "confidence": 0.7, "label": "calm"},
    ]
    for i, prediction in enumerate(predictions):
        view.on_window(_window(60.0 + 5 * i, 70.0 + i), prediction)
    assert view.accuracy == 2 / 3
    assert view.cells()[4:6] == ["calm (70%)", "67%"]
    last = out.getvalue().splitlines()[-1]
    assert "state=calm (70%)" in last and "acc=67%" in last


def test_each_wearer_has_its_own_row_and_prefixed_lines():
    console, out = _console()
    board = WearersBoard(console, line_every_s=0.0)
    a, b = board.view_for("w0"), board.view_for("w1")
    a.on_window(_window(60.0, 61.0, [(1.0, "phase:stress:start")]), None)
    b.on_window(_window(60.0, 92.0), {"state": "calm", "confidence": 0.5, "label": "calm"})
    assert a.cells()[:5] == ["00:00", "stress", "61", "4.00", "–"]
    assert b.cells()[:6] == ["00:00", "-", "92", "4.00", "calm (50%)", "100%"]
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("w0 [00:00] phase=stress") and "HR bpm=61" in lines[0]
    assert lines[1].startswith("w1 [00:00] phase=-") and "HR bpm=92" in lines[1]


def test_a_phase_ends_at_its_end_marker_and_the_pause_after_it_is_no_phases():
    console, _ = _console()
    view = ConsoleView(console, line_every_s=0.0)
    view.on_window(_window(60.0, 60.0, [(1.0, "phase:stress:start")]), None)
    view.on_window(_window(65.0, 90.0), None)
    view.on_window(_window(70.0, 70.0, [(66.0, "phase:stress:end")]), None)
    assert view.cells()[1] == "-"
    view.on_window(
        _window(75.0, 64.0, [(71.0, "phase:calm:end"), (72.0, "phase:calm:start")]), None
    )
    assert view.cells()[1] == "calm"
    phase, windows, hr = view.summary().columns[:3]
    rows = dict(zip(phase.cells, zip(windows.cells, hr.cells, strict=True), strict=True))
    assert rows == {"stress": ("2", "75"), "-": ("1", "70"), "calm": ("1", "64")}
