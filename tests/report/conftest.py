"""One short recorded demo session (and its `process` output without a model), shared by the
report tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from emostream.cli import main

#: 30 s windows over the demo's baseline and stress phases: both classes get labels
PIPELINE = """
[pipeline]
name = "report-test"

[window]
length_s = 30.0
hop_s = 5.0
max_lag_s = 3.0

[[sources]]
device = "synthetic-wearer"
seed = 3
duration_s = 240.0
speed = 0.0

[features.hrv]

[features.eda]
{model}
"""
MODEL = """
[model]
learner = "logistic"

[labels]
classes = ["calm", "stress", "amusement"]
map = { baseline = "calm", recovery = "calm" }
"""


@pytest.fixture(scope="module")
def sessions(tmp_path_factory) -> Path:
    """`sessions/<recorded demo>` and `sessions/processed` (the same data, a model-less
    pipeline, written by `emostream process`)."""
    root = tmp_path_factory.mktemp("sessions")
    with_model, without = root.parent / "with-model.toml", root.parent / "no-model.toml"
    with_model.write_text(PIPELINE.format(model=MODEL))
    without.write_text(PIPELINE.format(model=""))
    assert main(["demo", "--pipeline", str(with_model), "--no-lsl", "--record", str(root)]) == 0
    (recorded,) = root.iterdir()
    args = ["process", str(recorded), "--pipeline", str(without), "--out", str(root / "processed")]
    assert main([*args, "--quiet"]) == 0
    return root


@pytest.fixture(scope="module")
def recorded(sessions: Path) -> Path:
    return next(p for p in sessions.iterdir() if p.name.startswith("sub-"))


@pytest.fixture(scope="module")
def reports(sessions: Path, tmp_path_factory) -> Path:
    """`emostream report` of the folder of both sessions, with `--png`: `<out>/html/` holds
    a report per session and index.html, `<out>/png/<session>/` their figures."""
    out = tmp_path_factory.mktemp("reports")
    args = ["report", str(sessions), "--out", str(out / "html"), "--png", str(out / "png")]
    assert main(args) == 0
    return out


@pytest.fixture(scope="module")
def report(recorded: Path, reports: Path) -> tuple[Path, Path, str]:
    """The recorded session's report (path, its --png folder, its text)."""
    html = reports / "html" / f"{recorded.name}.html"
    return html, reports / "png" / recorded.name, html.read_text(encoding="utf-8")
