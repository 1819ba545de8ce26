"""Timestamp quality end to end over the virtual radio (in real time).

- Muse (default 60 s): notifications arrive 20 ms ± 20 ms (uniform) after each packet's true time; the
  driver's fitted sample times are compared with the true times. Ratio: residual jitter
  of the fit / jitter of the raw arrival times (both measured in this run).
- Polar H10 (default 600 s, so that the drift adds up to 60 ms): the device clock runs 100 ppm fast; the driver's estimated drift and the spread
  of (mapped − true) sample times are reported, against the spread an unfitted mapping
  (device clock taken at face value from the first frame) would show over the same run.

    .venv/bin/python benchmarks/timing_ble.py --muse-seconds 60 --polar-seconds 600
"""

from __future__ import annotations

import argparse
import asyncio

import numpy as np

from emostream.core.chunk import Chunk
from emostream.profiles import load_profile
from emostream.protocols import muse
from emostream.sources.ble import Muse, PolarH10
from emostream.testing.peripherals import VirtualMuse, VirtualPolarH10
from emostream.testing.virtual_air import VirtualAir


async def collect(driver, kind: str, chunks: list[Chunk]) -> None:
    async for event in driver.events():
        if isinstance(event, Chunk) and event.spec.kind == kind:
            chunks.append(event)


async def measure(muse_s: float, polar_s: float) -> None:
    air = VirtualAir()
    headset = VirtualMuse(air, address="F3:00:00:00:70:01", jitter_s=0.020, seed=3)
    strap = VirtualPolarH10(air, address="F2:00:00:00:70:02", drift_ppm=100.0)
    await headset.start()
    await strap.start()
    muse_driver = Muse(load_profile("muse"), headset.address, backend=air.backend())
    polar_driver = PolarH10(load_profile("polar-h10"), strap.address, backend=air.backend())
    eeg: list[Chunk] = []
    ecg: list[Chunk] = []
    started = asyncio.get_running_loop().time()
    tasks = [
        asyncio.create_task(collect(muse_driver, "EEG", eeg)),
        asyncio.create_task(collect(polar_driver, "ECG", ecg)),
    ]
    for seconds, driver, device, task in sorted(
        [(muse_s, muse_driver, headset, tasks[0]), (polar_s, polar_driver, strap, tasks[1])],
        key=lambda entry: entry[0],
    ):
        await asyncio.sleep(max(0.0, seconds - (asyncio.get_running_loop().time() - started)))
        await driver.aclose()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        if task.done() and not task.cancelled() and task.exception():
            raise task.exception()  # type: ignore[misc]
        await device.close()

    # Muse: each assembled packet's last-sample time against the device's true emission time
    true_by_raw = {}
    for p in headset.sent:
        true_by_raw.setdefault((p.first_sample % 4096), []).append(p.t_lsl_s)
    fit_err, raw_err = [], []
    for chunk in eeg[len(eeg) // 2 :]:  # second half: after the fit has settled
        raw0 = round(chunk.data[0, 0] / muse.UV_PER_COUNT + muse.RAW_OFFSET) % 4096
        t_true = min(true_by_raw[raw0], key=lambda t: abs(t - chunk.timestamps[-1]))
        fit_err.append(chunk.timestamps[-1] - t_true)
        raw_err.append(chunk.arrival_s[-1] - t_true)
    fit_jitter_ms = 1000 * float(np.std(fit_err))
    raw_jitter_ms = 1000 * float(np.std(raw_err))
    print(
        f"Muse ±20 ms arrival jitter, {len(eeg)} packets: fitted residual jitter {fit_jitter_ms:.3f} ms "
        f"(raw arrival {raw_jitter_ms:.2f} ms; ratio {fit_jitter_ms / raw_jitter_ms:.3f}); "
        f"mean latency {1000 * np.mean(fit_err):.1f} ms"
    )

    # Polar: ECG counter value = device sample number; true time of frame ends from the log
    true_by_last = {
        p.first_sample + p.n_samples - 1: p.t_lsl_s for p in strap.sent if p.stream == "ecg"
    }
    mapped, truth, device_s = [], [], []
    for chunk in ecg:
        last = int(chunk.data[-1, 0])
        if last in true_by_last:
            mapped.append(chunk.timestamps[-1])
            truth.append(true_by_last[last])
    mapped_arr, truth_arr = np.asarray(mapped), np.asarray(truth)
    err = mapped_arr - truth_arr
    settled = err[len(err) // 2 :]
    # unfitted: device seconds since the first frame, added to the first frame's arrival
    device_s = (truth_arr - truth_arr[0]) * (1 + 100e-6)
    naive = (mapped_arr[0] + device_s) - truth_arr
    print(
        f"Polar 100 ppm drift over {truth_arr[-1] - truth_arr[0]:.0f} s: estimated drift "
        f"{polar_driver.clock.drift_ppm:.1f} ppm; mapped−true spread (2nd half) "
        f"{1000 * np.ptp(settled):.3f} ms, unfitted spread {1000 * np.ptp(naive):.3f} ms "
        f"(ratio {np.ptp(settled) / np.ptp(naive):.3f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--muse-seconds", type=float, default=60.0)
    parser.add_argument("--polar-seconds", type=float, default=600.0)
    args = parser.parse_args()
    asyncio.run(measure(args.muse_seconds, args.polar_seconds))


if __name__ == "__main__":
    main()
