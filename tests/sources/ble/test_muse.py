"""Muse end to end over the virtual radio, including index wrap-around and jittered arrival."""

from __future__ import annotations

import numpy as np

from emostream.profiles import load_profile
from emostream.protocols import muse
from emostream.sources.ble import Muse
from emostream.testing.peripherals import VirtualMuse
from emostream.testing.virtual_air import VirtualAir
from tests.sources.ble.harness import Inlet, pumping, run


def _expected_uv(sample: np.ndarray, channel: int) -> np.ndarray:
    raw = (sample + 256 * channel) % 4096
    return muse.UV_PER_COUNT * (raw - muse.RAW_OFFSET)


def test_eeg_reaches_a_plain_inlet_assembled_by_index() -> None:
    async def body() -> None:
        air = VirtualAir()
        # packet index starts just below 65535 so the stream crosses the uint16 wrap
        device = VirtualMuse(air, address="F3:00:00:00:20:01", jitter_s=0.02, first_index=65_530)
        await device.start()
        driver = Muse(load_profile("muse"), device.address, backend=air.backend(), tick_s=0.5)
        async with pumping(driver):
            inlet = Inlet(driver.spec("EEG").source_id)
            await inlet.open()
            await inlet.until(512)
        await device.close()
        assert device.commands[:3] == [muse.STOP, muse.PRESET_P21, muse.START]
        assert muse.KEEP_ALIVE in device.commands
        data = inlet.data
        assert data.shape[1] == 5
        # channel 0 value identifies the device's sample number; every channel must match it
        raw0 = np.rint(data[:, 0] / muse.UV_PER_COUNT + muse.RAW_OFFSET).astype(int)
        first = next(p.first_sample for p in device.sent if p.first_sample % 4096 == raw0[0])
        sample = first + np.arange(len(raw0))
        for channel in range(5):
            np.testing.assert_allclose(data[:, channel], _expected_uv(sample, channel), atol=1e-3)
        ts = inlet.ts
        assert np.all(np.diff(ts) > 0)
        assert driver.stats["eeg"].rejected == 0 and driver.n_dropped == 0

    run(body())


def test_decode_times_every_sample_across_the_index_wrap() -> None:
    """The driver's decoding alone (no radio, no LSL): 30 s of notifications crossing the
    uint16 packet-index wrap, the five channels of each packet arriving in shuffled order,
    give every sample once, assembled by index and stamped at its own time."""
    driver = Muse(load_profile("muse"), "F3:00:00:00:20:02")
    rng = np.random.default_rng(7)
    latency_s, t0 = 0.015, 1000.0
    n_packets = int(30 * muse.FS_HZ / muse.SAMPLES_PER_PACKET)
    first_index = muse.INDEX_MODULO - n_packets // 2
    chunks = []
    for index in range(first_index, first_index + n_packets):
        sample = index * muse.SAMPLES_PER_PACKET + np.arange(muse.SAMPLES_PER_PACKET)
        arrival_s = t0 + sample[-1] / muse.FS_HZ + latency_s
        for channel in rng.permutation(5):
            payload = muse.encode_eeg(index, (sample + 256 * channel) % 4096)
            chunks += driver.decode(channel, arrival_s, payload)
    ts = np.concatenate([c.timestamps for c in chunks])
    data = np.concatenate([c.data for c in chunks])
    sample = first_index * muse.SAMPLES_PER_PACKET + np.arange(n_packets * muse.SAMPLES_PER_PACKET)
    assert data.shape == (sample.size, 5)
    for channel in range(5):
        np.testing.assert_allclose(data[:, channel], _expected_uv(sample, channel), atol=1e-3)
    np.testing.assert_allclose(ts, t0 + sample / muse.FS_HZ + latency_s, atol=1e-3)
    assert driver.stats["eeg"].rejected == 0
