"""A BLE device flooding malformed notifications, and sending a frame with a corrupt device
timestamp, over the virtual radio: every good sample is kept, in order, on a sane clock; every
bad packet is counted."""

from __future__ import annotations

import numpy as np

from emostream.profiles import load_profile
from emostream.protocols import pmd
from emostream.sources.ble import PolarH10
from emostream.testing.peripherals import VirtualPolarH10
from emostream.testing.virtual_air import VirtualAir
from tests.sources.ble.harness import pumping, run

WILD_AT_SAMPLE = 780  # the ECG frame holding this sample carries a timestamp 10^6 s ahead


class NoisyPolarH10(VirtualPolarH10):
    """Sends `garbage_per_tick` malformed PMD notifications every 20 ms while streaming."""

    def __init__(self, air: VirtualAir, garbage_per_tick: int, **kwargs) -> None:
        super().__init__(air, **kwargs)
        self.garbage_per_tick = garbage_per_tick
        self.n_garbage = 0
        self._wild = False

    def device_ns(self, t_true_s: float) -> int:
        return super().device_ns(t_true_s) + (10**15 if self._wild else 0)

    async def _emit_frame(self, measurement, n, fs, t_true_s) -> None:
        first = self.n_samples[measurement]
        self._wild = measurement is pmd.Measurement.ECG and first <= WILD_AT_SAMPLE < first + n
        await super()._emit_frame(measurement, n, fs, t_true_s)
        self._wild = False

    async def emit(self, tick: int, t_true_s: float) -> None:
        await super().emit(tick, t_true_s)
        if pmd.Measurement.ECG not in self.streaming:
            return
        for i in range(self.garbage_per_tick):
            body = self.rng.randbytes(self.rng.randrange(0, 60))
            payload = (
                body[:9],  # shorter than the header
                bytes([0xEE]) + body,  # unknown measurement type
                bytes([pmd.Measurement.ECG]) + bytes(8) + b"\x80" + body,  # compressed
                bytes([pmd.Measurement.ECG]) + bytes(8) + b"\x00" + body[:1],  # torn samples
            )[i % 4]
            await self.device.notify_subscribers(self.data, payload)
            self.n_garbage += 1


def test_malformed_flood_and_a_corrupt_timestamp_lose_no_good_sample() -> None:
    async def body() -> None:
        air = VirtualAir()
        h10 = NoisyPolarH10(air, garbage_per_tick=8, address="F2:00:00:00:90:01")
        await h10.start()
        driver = PolarH10(load_profile("polar-h10"), h10.address, backend=air.backend())
        async with pumping(driver) as pump:
            await pump.until(
                lambda: sum(len(c) for c in pump.chunks("ECG")) >= 3 * WILD_AT_SAMPLE, 60.0
            )
        await h10.close()
        ecg = pump.chunks("ECG")
        values = np.concatenate([c.data[:, 0] for c in ecg])
        ts = np.concatenate([c.timestamps for c in ecg])
        np.testing.assert_array_equal(np.diff(values), 1.0)  # none lost or duplicated
        assert np.all(np.diff(ts) > 0)
        # no jump leaks through (the clock map may still settle by a fraction of a second)
        assert np.max(np.diff(ts)) < 1.0 and np.median(np.diff(ts)) < 1.5 / 130.0
        assert values[0] < WILD_AT_SAMPLE < values[-1]
        assert driver.stats["pmd"].rejected >= 0.9 * h10.n_garbage > 1000
        assert driver.n_dropped == 0
        checks = driver.timestamp_stats()[driver.spec("ECG").source_id]
        assert checks.n_jumps == 1 and checks.n_repaired > 0 and checks.n_dropped == 0

    run(body(), 120)
