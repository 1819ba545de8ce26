"""`emostream devices scan` and `emostream stream` on virtual devices (in-process CLI)."""

from __future__ import annotations

import json
import threading

import pylsl
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


def test_stream_publishes_the_devices_samples_on_its_lsl_outlets(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A plain pylsl inlet finds the ECG outlet of `stream` while it runs and reads samples
    from it, with the device's maker in the outlet's meta-data."""
    found: list[pylsl.StreamInfo] = []
    manufacturer: list[str] = []
    n_samples: list[int] = []
    done = threading.Event()

    def read() -> None:
        found.extend(pylsl.resolve_bypred("name='PolarH10-ECG' and type='ECG'", 1, 30.0))
        if not found:
            return
        inlet = pylsl.StreamInlet(found[0], processing_flags=pylsl.proc_none)
        acquisition = inlet.info(10.0).desc().child("acquisition")
        manufacturer.append(acquisition.child_value("manufacturer"))
        n = 0
        while True:
            _, ts = inlet.pull_chunk(timeout=0.5)
            n += len(ts)
            if done.is_set() and not ts:
                break
        n_samples.append(n)

    reader = threading.Thread(target=read)
    reader.start()
    code = main(["stream", "polar-h10", "--simulate", "--duration", "6"])
    done.set()
    reader.join(30.0)
    assert code == 0
    assert found, "no PolarH10-ECG outlet was visible while `stream` ran"
    assert f"source_id {found[0].source_id()}" in capsys.readouterr().out
    assert manufacturer == ["Polar"]
    assert n_samples and n_samples[0] >= 130, f"only {n_samples} ECG samples read in ~5 s"


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
