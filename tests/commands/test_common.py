"""The outlets of a live wearer's session (`demo`, `run`): named after the pipeline and the
wearer's slot, none with --no-lsl."""

from __future__ import annotations

import argparse

from emostream.commands.common import LiveSession, wearer_sinks
from emostream.pipeline.config import load_pipeline


def outlets(slot: str, *, no_lsl: bool) -> tuple[list[tuple[str, str]], list[str]]:
    """(name, source_id) of each outlet of a wearer of the demo pipeline, and the lines said."""
    said: list[str] = []
    session = LiveSession("S-private", load_pipeline("demo"), [], slot=slot)
    sinks = wearer_sinks(argparse.Namespace(no_lsl=no_lsl), session, None, said.append)
    return [(s.name, s.source_id) for s in sinks], said


def test_no_lsl_gives_no_outlets():
    assert outlets("", no_lsl=True) == ([], [])


def test_each_wearers_outlets_are_named_after_its_slot():
    by_slot = {slot: outlets(slot, no_lsl=False)[0] for slot in ("", "w01", "w02")}
    names = {slot: [name for name, _ in found] for slot, found in by_slot.items()}
    assert names == {
        "": ["emostream-Features"],  # one wearer: the pipeline's names
        "w01": ["emostream-w01-Features"],
        "w02": ["emostream-w02-Features"],
    }
    ids = [source_id for found in by_slot.values() for _, source_id in found]
    assert len(set(ids)) == 3 and not any("S-private" in i for i in ids)
