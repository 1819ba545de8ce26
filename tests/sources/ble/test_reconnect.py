"""Mid-stream dropout: the peripheral leaves and returns; the driver reconnects, keeps its
source_ids, marks the gap, and the same (never re-resolved) inlet carries on."""

from __future__ import annotations

import asyncio

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
        # the dropped link is noticed at once, not later as a stall
        disconnects = [m for m in pump.markers() if m.startswith("disconnected")]
        assert disconnects == [f"disconnected: lost {address}: the link dropped"]
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


class HangingPolarH10(VirtualPolarH10):
    """Stops sending while `hung` (staying connected); once the central gives up on it, it
    recovers and advertises again."""

    def __init__(self, air: VirtualAir, **kwargs) -> None:
        super().__init__(air, **kwargs)
        self.hung = False
        self._recovery: asyncio.Task[None] | None = None

    async def emit(self, tick: int, t_true_s: float) -> None:
        if not self.hung:
            await super().emit(tick, t_true_s)

    def on_all_disconnected(self) -> None:
        super().on_all_disconnected()
        if self.hung:
            self.hung = False
            self._recovery = asyncio.get_running_loop().create_task(self.come_back())


#: long enough that a busy test machine's scheduling pauses are not taken for a stall
STALL_S = 2.0


def test_a_silent_link_is_dropped_after_the_stall_timeout_and_resumed() -> None:
    """Data flowing for several stall timeouts keeps the link; a device that goes silent
    while connected is dropped after `stall_timeout_s`, reconnected once, and the gap marked."""

    async def body() -> None:
        air = VirtualAir()
        h10 = HangingPolarH10(air, address="F2:00:00:00:40:03")
        await h10.start()
        driver = PolarH10(
            load_profile("polar-h10"), h10.address, backend=air.backend(), stall_timeout_s=STALL_S
        )

        def n_ecg() -> int:
            return sum(len(c) for c in pump.chunks("ECG"))

        def disconnects() -> list[str]:
            return [m for m in pump.markers() if m.startswith("disconnected")]

        async with pumping(driver) as pump:
            await pump.until(lambda: n_ecg() >= 3 * STALL_S * 130)  # three stall timeouts of data
            assert disconnects() == [] and driver.status.n_connects == 1
            h10.hung = True
            await pump.until(lambda: bool(disconnects()))
            n_before = n_ecg()
            await pump.until(lambda: bool(pump.gaps()) and n_ecg() >= n_before + 2 * 130)
        await h10.close()
        assert disconnects() == [f"disconnected: lost {h10.address}: no data for {STALL_S:g} s"]
        assert driver.status.n_connects == 2 and h10.n_connections == 2
        assert {g.source_id for g in pump.gaps()} == {
            s.source_id for s in driver.specs if not s.is_markers
        }

    run(body())
