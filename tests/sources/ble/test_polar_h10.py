"""Polar H10 end to end: virtual H10 → bleak (bumble backend) → driver → LSL → pylsl inlet."""

from __future__ import annotations

import asyncio

import numpy as np
import pylsl
import pytest

from emostream.profiles import load_profile
from emostream.sources.ble import PolarH10
from emostream.sources.device_errors import DeviceInChargerError, DeviceNotFoundError
from emostream.testing.peripherals import VirtualPolarH10
from emostream.testing.virtual_air import VirtualAir
from tests.sources.ble.harness import Inlet, pumping, run


def test_ecg_reaches_a_plain_inlet_with_the_right_values() -> None:
    async def body() -> None:
        air = VirtualAir()
        h10 = VirtualPolarH10(air, address="F2:00:00:00:10:01")
        await h10.start()
        driver = PolarH10(load_profile("polar-h10"), h10.address, backend=air.backend())
        async with pumping(driver) as pump:
            ecg = Inlet(driver.spec("ECG").source_id)
            acc = Inlet(driver.spec("ACC").source_id)
            await ecg.open()
            await acc.open()
            await ecg.until(300)
            await acc.until(300)
            await pump.until(lambda: len(pump.chunks("RR")) >= 1)
        await h10.close()
        values = ecg.data[:, 0]
        # ECG µV is the device's sample counter: consecutive, none lost or duplicated
        np.testing.assert_array_equal(np.diff(values), 1.0)
        assert values[0] in {p.first_sample for p in h10.sent if p.stream == "ecg"}
        ts = ecg.ts
        assert np.all(np.diff(ts) > 0)
        assert abs(ts[-1] - pylsl.local_clock()) < 5.0
        assert 1 / np.median(np.diff(ts)) == pytest.approx(130.0, rel=0.01)
        # sample times agree with the device's true emission times (latency only)
        sent = {p.first_sample + p.n_samples - 1: p.t_lsl_s for p in h10.sent if p.stream == "ecg"}
        lags = [t - sent[int(v)] for v, t in zip(values, ts, strict=True) if int(v) in sent]
        assert lags and 0.0 <= np.median(lags) < 0.1
        xyz = acc.data
        np.testing.assert_array_equal(xyz[:, 0], -xyz[:, 1])
        np.testing.assert_array_equal(xyz[:, 2], 1000.0)
        # the client asked for a 247-byte ATT MTU, so frames hold (247 − 3 − 10) / 3 samples
        # instead of the 3 that bumble's default 23-byte MTU would leave room for
        assert {len(c) for c in pump.chunks("ECG")} == {78}
        rr = pump.chunks("RR")[0]
        assert rr.data[0, 0] == pytest.approx(800 / 1.024)
        assert driver.status.battery_pct == 85 and driver.status.rssi_dbm == -50
        assert driver.stats["pmd"].rejected == 0

    run(body())


def test_the_address_is_found_in_any_letter_case() -> None:
    async def body() -> None:
        air = VirtualAir()
        h10 = VirtualPolarH10(air, address="F2:AB:CD:00:10:03")
        await h10.start()
        driver = PolarH10(
            load_profile("polar-h10"),
            "f2:ab:cd:00:10:03",
            backend=air.backend(),
            scan_timeout_s=2.0,
        )
        async with pumping(driver) as pump:
            await pump.until(lambda: bool(pump.chunks("ECG")))
        await h10.close()

    run(body())


def test_in_charger_is_a_clear_error() -> None:
    async def body() -> None:
        air = VirtualAir()
        h10 = VirtualPolarH10(air, address="F2:00:00:00:10:02", in_charger=True)
        await h10.start()
        driver = PolarH10(load_profile("polar-h10"), h10.address, backend=air.backend())
        with pytest.raises(DeviceInChargerError) as info:
            async for _ in driver.events():
                pass
        assert info.value.status == 13 and "charger" in str(info.value)
        await h10.close()

    run(body())


def test_absent_device_is_not_found() -> None:
    async def body() -> None:
        air = VirtualAir()
        driver = PolarH10(
            load_profile("polar-h10"),
            "F2:00:00:00:10:99",
            backend=air.backend(),
            scan_timeout_s=0.5,
        )

        async def drain() -> None:
            async for _ in driver.events():
                pass

        # raised at once, not retried: the user asked for a device that is not there
        with pytest.raises(DeviceNotFoundError) as info:
            await asyncio.wait_for(drain(), timeout=30.0)
        assert info.value.address == "F2:00:00:00:10:99"

    run(body())
