"""Standard Heart Rate Service strap end to end over the virtual radio."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from emostream.errors import ConfigError
from emostream.profiles import load_profile
from emostream.sources.ble import HeartRateStrap
from emostream.testing.peripherals import RR_CYCLE_COUNTS, VirtualHeartRateStrap
from emostream.testing.virtual_air import VirtualAir
from tests.sources.ble.harness import Inlet, pumping, run


def test_hr_and_rr_reach_a_plain_inlet() -> None:
    async def body() -> None:
        air = VirtualAir()
        strap = VirtualHeartRateStrap(air, address="F1:00:00:00:30:01", speed=8.0, battery_pct=10)
        await strap.start()
        driver = HeartRateStrap(load_profile("hr-strap"), strap.address, backend=air.backend())
        async with pumping(driver) as pump:
            rr = Inlet(driver.spec("RR").source_id)
            hr = Inlet(driver.spec("HR").source_id)
            await rr.open()
            await hr.open()
            await rr.until(6)
            await hr.until(6)
            await pump.until(lambda: any("battery low" in m for m in pump.markers()))
        await strap.close()
        beats = {p.t_lsl_s: p.first_sample for p in strap.sent}
        rr_ms = rr.data[:, 0]
        first_beat = RR_CYCLE_COUNTS.index(round(rr_ms[0] * 1.024))
        expected = [RR_CYCLE_COUNTS[(first_beat + i) % 50] * 1000 / 1024 for i in range(len(rr_ms))]
        np.testing.assert_allclose(rr_ms, expected, rtol=1e-6)  # exact 1/1024 s counts
        assert np.all(np.diff(rr.ts) > 0)
        assert hr.data.shape[1] == 1  # the profile asks for HR only
        # each notification's HR matches its own RR interval (paired by raw arrival time)
        rr_by_arrival = {float(c.arrival_s[-1]): float(c.data[-1, 0]) for c in pump.chunks("RR")}
        for chunk in pump.chunks("HR"):
            counts = rr_by_arrival[float(chunk.arrival_s[0])] * 1.024
            assert chunk.data[0, 0] == round(60 * 1024 / counts)
        assert driver.status.battery_pct == 10
        assert len(beats) >= 6
        # beat times back-projected from arrival lie within the radio latency of the truth
        assert rr.ts[0] - max(t for t in beats if t <= rr.ts[0] + 0.2) == pytest.approx(
            0.0, abs=0.2
        )

    run(body())


def test_a_low_battery_is_marked_once_however_often_it_is_polled() -> None:
    async def body() -> None:
        air = VirtualAir()
        strap = VirtualHeartRateStrap(air, address="F1:00:00:00:30:04", speed=8.0, battery_pct=10)
        await strap.start()
        driver = HeartRateStrap(
            load_profile("hr-strap"), strap.address, backend=air.backend(), battery_poll_s=0.05
        )
        async with pumping(driver) as pump:
            await pump.until(
                lambda: "battery" in driver.stats and driver.stats["battery"].accepted >= 4
            )
        await strap.close()
        assert [m for m in pump.markers() if "battery" in m] == ["battery low: 10 %"]

    run(body())


def _profile_with_hr_channels(labels: tuple[str, ...]):
    profile = load_profile("hr-strap")
    streams = tuple(
        dataclasses.replace(s, channels=labels, units=("",) * len(labels)) if s.kind == "HR" else s
        for s in profile.streams
    )
    return dataclasses.replace(profile, streams=streams)


def test_profile_chooses_contact_and_energy_channels() -> None:
    strap = HeartRateStrap(
        _profile_with_hr_channels(("energy", "HR", "contact")), "F1:00:00:00:30:02"
    )
    (hr,) = strap.decode("hrs", 5.0, bytes.fromhex("19 50 00 2C 01"))  # uint16 HR 80, EE 300
    assert hr.data[0, :2].tolist() == [300.0, 80.0] and np.isnan(hr.data[0, 2])
    chunks = strap.decode("hrs", 6.0, bytes.fromhex("06 48")) + strap.decode(
        "hrs", 7.0, bytes.fromhex("04 48")
    )
    assert [str(c.data[0, 0]) for c in chunks if c.spec.is_markers] == ["skin contact lost"]
    with pytest.raises(ConfigError, match="pulse"):
        HeartRateStrap(_profile_with_hr_channels(("HR", "pulse")), "F1:00:00:00:30:03")
