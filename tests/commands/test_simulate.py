"""`emostream simulate` seen by a plain pylsl inlet, with a sample counter on every stream."""

import os
import subprocess
import sys
import time
import uuid

import numpy as np
import pylsl

from emostream.core.lslinfo import info_to_spec

EXPECTED = {  # kind: (rate, channel labels, first unit)
    "ECG": (250.0, ("ECG", "counter"), "millivolts"),
    "PPG": (64.0, ("PPG", "counter"), "normalized"),
    "EDA": (16.0, ("EDA", "counter"), "microsiemens"),
    "RSP": (32.0, ("RSP", "counter"), "normalized"),
    "TEMP": (4.0, ("TEMP", "counter"), "celsius"),
    "EEG": (256.0, ("TP9", "AF7", "AF8", "TP10", "counter"), "microvolts"),
}
DATA_S = 40.0
SPEED = 10.0


def test_simulate_outlets_lose_no_samples():
    seed = int(uuid.uuid4().int % 1_000_000)
    proc = subprocess.Popen(
        [sys.executable, "-m", "emostream.cli", "simulate", "--seed", str(seed),
         "--speed", str(SPEED), "--duration", str(DATA_S), "--counter",
         "--wait-for-consumers", "60", "--protocol", "baseline:20,stress:30"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=os.environ.copy(),
    )  # fmt: skip
    try:
        inlets = {}
        deadline = time.monotonic() + 60
        while len(inlets) < len(EXPECTED) + 1 and time.monotonic() < deadline:
            for kind in [*EXPECTED, "markers"]:
                sid = f"synthetic-wearer:seed{seed}:{kind.lower()}"
                if kind not in inlets:
                    found = pylsl.resolve_byprop("source_id", sid, 1, 0.5)
                    if found:
                        inlet = pylsl.StreamInlet(found[0], max_buflen=360)
                        inlet.open_stream(5.0)
                        inlets[kind] = inlet
        assert len(inlets) == len(EXPECTED) + 1, f"resolved only {sorted(inlets)}"
        counters = {kind: [] for kind in EXPECTED}
        markers = []
        quiet_since = None
        give_up = time.monotonic() + 120
        while time.monotonic() < give_up:  # until the publisher ended and 1 s brought nothing
            done = proc.poll() is not None
            got = 0
            for kind, inlet in inlets.items():
                data, _ = inlet.pull_chunk(timeout=0.0, max_samples=100_000, as_numpy=True)
                got += len(data)
                if kind == "markers":
                    markers += [m.decode() if isinstance(m, bytes) else m for m in data[:, 0]]
                elif len(data):
                    counters[kind].append(data[:, -1].astype(np.int64))
            if done and not got:
                quiet_since = quiet_since or time.monotonic()
                if time.monotonic() - quiet_since > 1.0:
                    break
            else:
                quiet_since = None
            time.sleep(0.05)
        for kind, (rate, labels, unit) in EXPECTED.items():
            spec = info_to_spec(inlets[kind].info(2.0))
            assert spec.kind == kind and spec.rate_hz == rate
            assert spec.channels == labels and spec.units[0] == unit
            got = np.concatenate(counters[kind])
            assert np.all(np.diff(got) == 1), f"{kind}: lost or duplicated samples"
            assert got[0] == 0 and got[-1] == int(DATA_S * rate) - 1, f"{kind}: incomplete"
        # the session's end (40 s) ends the stress phase it cut short
        phases = ["phase:baseline:start", "phase:baseline:end", "phase:stress:start"]
        assert markers == [*phases, "phase:stress:end"]
        info = inlets["ECG"].info(2.0)
        assert "emostream" in info.desc().child("acquisition").child_value("software")
    finally:
        proc.kill()
        proc.wait()


def test_simulate_without_a_duration_streams_promptly_until_stopped():
    """The default (protocol repeated for up to 24 h) must start streaming, not pre-compute."""
    seed = int(uuid.uuid4().int % 1_000_000)
    proc = subprocess.Popen(
        [sys.executable, "-m", "emostream.cli", "simulate", "--seed", str(seed), "--kinds", "ECG"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ.copy(),
    )  # fmt: skip
    try:
        found = pylsl.resolve_byprop("source_id", f"synthetic-wearer:seed{seed}:ecg", 1, 60.0)
        assert found, "the ECG outlet did not appear"
        inlet = pylsl.StreamInlet(found[0])
        inlet.open_stream(10.0)
        received = 0
        deadline = time.monotonic() + 60
        while received < 250 and time.monotonic() < deadline:
            data, _ = inlet.pull_chunk(timeout=1.0, max_samples=1000, as_numpy=True)
            received += len(data)
        assert received >= 250
        assert proc.poll() is None  # still streaming
    finally:
        proc.kill()
        proc.wait()
