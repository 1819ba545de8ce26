"""Mid-stream dropout: the peripheral leaves and returns; the driver reconnects, keeps its
source_ids, marks the gap, and the same (never re-resolved) inlet carries on."""

from __future__ import annotations

import numpy as np
import pytest

from emostream.core.clock import lsl_now_s
from emostream.profiles import load_profile
from emostream.protocols import muse
from emostream.sources.ble import Muse, PolarH10
from emostream.testing.peripherals import VirtualMuse, VirtualPolarH10
from emostream.testing.virtual_air import VirtualAir
from tests.sources.ble.harness import Inlet, pumping, run

CASES = {
    "polar-h10": (PolarH10, VirtualPolarH10, "ECG", "F2:00:00:00:40:01"),
    "muse": (Muse, VirtualMuse, "EEG", "F3:00:00:00:40:02"),
}


def _counter(kind: str, data: np.ndarray) -> np.ndarray:
    """The device's sample number carried in the first channel."""
    if kind == "ECG":
        return data[:, 0]
    return np.rint(data[:, 0] / muse.UV_PER_COUNT + muse.RAW_OFFSET)


@pytest.mark.parametrize("profile", sorted(CASES))
def test_dropout_and_return(profile: str) -> None:
    driver_cls, device_cls, kind, address = CASES[profile]

    async def body() -> None:
        air = VirtualAir()
        device = device_cls(air, address=address)
        await device.start()
        driver = driver_cls(
            load_profile(profile), address, backend=air.backend(), stall_timeout_s=2.0
        )
        source_ids = [s.source_id for s in driver.specs]
        async with pumping(driver) as pump:
            inlet = Inlet(driver.spec(kind).source_id)
            await inlet.open()
            await inlet.until(200)
            await device.go_away()
            await pump.until(lambda: any(m.startswith("disconnected") for m in pump.markers()))
            assert driver.status.state == "reconnecting"
            n_before = len(inlet.timestamps)
            returned_at = lsl_now_s()
            await device.come_back()
            await pump.until(lambda: bool(pump.gaps()))
            await inlet.until(n_before + 200)
        await device.close()
        gaps = pump.gaps()
        assert {g.source_id for g in gaps} == {s for s in source_ids if not s.endswith(":markers")}
        assert gaps[0].t_to_s - returned_at < 5.0  # reconnected within 5 s of the return
        assert [s.source_id for s in driver.specs] == source_ids
        assert any(m.startswith("reconnected") for m in pump.markers())
        assert driver.status.n_connects == 2 and device.n_connections == 2
        counter = _counter(kind, inlet.data)
        steps = np.diff(counter)
        if kind == "EEG":
            steps = steps % 4096
        assert np.all(steps >= 1)  # no sample duplicated or reordered
        assert np.count_nonzero(steps > 1) == 1  # exactly one hole: the dropout
        ts = inlet.ts
        assert np.all(np.diff(ts) > 0)
        hole = int(np.argmax(steps > 1))
        assert ts[hole] < gaps[0].t_to_s and ts[hole + 1] > gaps[0].t_from_s

    run(body())
