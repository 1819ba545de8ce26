"""`emostream streams`: every visible outlet with its name, type, rate, channels and source_id."""

from __future__ import annotations

import json

import pylsl
import pytest

from emostream.cli import main


def test_streams_lists_each_outlet_as_it_was_declared(capsys, unique_name):
    ecg = pylsl.StreamOutlet(
        pylsl.StreamInfo(unique_name, "ECG", 2, 130.0, "float32", f"{unique_name}:ecg")
    )
    markers = pylsl.StreamOutlet(
        pylsl.StreamInfo(f"{unique_name}-m", "Markers", 1, 0.0, "string", f"{unique_name}:m")
    )
    try:
        assert main(["streams", "--timeout", "1.5", "--json"]) == 0
        rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        mine = {r["name"]: r for r in rows if r["name"].startswith(unique_name)}
        assert mine[unique_name] == pytest.approx(
            {
                "name": unique_name,
                "type": "ECG",
                "rate_hz": 130.0,
                "channels": 2,
                "format": "float32",
                "source_id": f"{unique_name}:ecg",
                "hostname": mine[unique_name]["hostname"],
            }
        )
        assert mine[f"{unique_name}-m"]["source_id"] == f"{unique_name}:m"
        assert mine[f"{unique_name}-m"]["rate_hz"] == 0.0
        assert main(["streams", "--timeout", "1.5"]) == 0
        text = capsys.readouterr().out
        line = next(x for x in text.splitlines() if x.startswith(f"{unique_name}-m "))
        assert "irregular" in line and line.endswith(f"{unique_name}:m")
    finally:
        del ecg, markers
