"""session.json keeps device info without the keys that identify a device or its wearer
(docs/recording.md): address, mac, serial, owner, email, in any case and at any depth."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from emostream.sinks.config import RecordConfig
from emostream.sinks.recorder import RecorderSink

IDENTIFYING = {
    "address": "A0:B1:C2:D3:E4:F5",
    "MAC": "A0:B1:C2:D3:E4:F6",
    "mac_address": "A0:B1:C2:D3:E4:F7",
    "ble_address": "A0:B1:C2:D3:E4:F8",
    "Serial": "C7D9A1B2",
    "serial_number": "C7D9A1B3",
    "owner": "Jane Doe",
    "email": "jane@example.org",
}


@pytest.mark.parametrize("key", sorted(IDENTIFYING))
def test_identifying_device_keys_are_not_saved(tmp_path: Path, key: str) -> None:
    value = IDENTIFYING[key]
    device = {"model": "H10", "firmware": "5.0.0", key: value}
    run = {"pipeline": "demo", "devices": [device], "sources": {"h10": {"info": dict(device)}}}
    cfg = RecordConfig(enabled=True, dir=str(tmp_path), consent="record")
    sink = RecorderSink.from_config(cfg, live=True, subject="P03")
    sink.open(run)
    sink.close()
    text = (sink.path / "session.json").read_text()
    assert value not in text, f"session.json keeps {key!r}"
    meta = json.loads(text)
    kept = {"model": "H10", "firmware": "5.0.0"}
    assert meta["run"]["devices"] == [kept]
    assert meta["run"]["sources"] == {"h10": {"info": kept}}
