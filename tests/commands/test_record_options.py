"""Recording options of `run`/`demo`: on by default, off on request, consent for live people."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from emostream.commands.record_options import add_record_args, is_live, recorder_from_args
from emostream.errors import UsageError
from emostream.pipeline.config import load_pipeline


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_record_args(parser)
    return parser.parse_args(list(argv))


def test_synthetic_demo_records_by_default_without_consent(tmp_path: Path) -> None:
    config = load_pipeline("demo")
    assert not is_live(config)
    said: list[str] = []
    sink = recorder_from_args(
        _args("--record", str(tmp_path)), config, subject="synthetic", say=said.append
    )
    assert sink is not None
    sink.open(None)
    sink.close()
    assert said == [f"recording to {sink.path}"]
    assert recorder_from_args(_args("--no-record"), config, subject="s", say=said.append) is None


def test_live_pipeline_needs_consent(tmp_path: Path) -> None:
    config = load_pipeline("lsl-physio")
    assert is_live(config)
    with pytest.raises(UsageError, match="--consent record"):
        recorder_from_args(_args("--record", str(tmp_path)), config, subject="P1", say=print)
    sink = recorder_from_args(
        _args("--record", str(tmp_path), "--consent", "record,research"),
        config,
        subject="P1",
        say=print,
    )
    assert sink is not None and sink.consent is not None
    assert sink.consent.scope == ("record", "research")
    assert sink.consent.stated_via == "--consent flag"
