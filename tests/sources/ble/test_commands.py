"""`emostream devices scan` and `emostream stream` on virtual devices (in-process CLI)."""

from __future__ import annotations

import json

import pytest

from emostream.cli import main


def test_devices_scan_names_the_profiles(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["devices", "scan", "--simulate", "--timeout", "0.5", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    ble = {r["name"]: r["profiles"] for r in rows if r["kind"] == "ble"}
    assert ble["Polar H10 A1B2C3D4"][0] == "polar-h10"
    assert ble["Muse-1A2B"] == ["muse"]
    assert ble["HRM-Pro 1234"] == ["hr-strap"]


@pytest.mark.parametrize("profile", ["polar-h10", "empatica-e4"])
def test_stream_simulated_device(profile: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stream", profile, "--simulate", "--duration", "2"]) == 0
    out = capsys.readouterr().out
    assert "source_id" in out and "published" in out and "published nothing" not in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["stream", "no-such-device"], "no device profile named 'no-such-device'"),
        (["stream", "lsl-generic"], "transport 'lsl'"),
    ],
)
def test_user_mistakes_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    assert message in capsys.readouterr().err
