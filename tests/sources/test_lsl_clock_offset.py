"""Clock-offset correction of LslSource on real loopback LSL, with a known offset.

liblsl measures a remote clock's offset with `time_correction`; on one machine it is ~0, so a
wrong sign or a missed correction would go unseen. Here `time_correction` reports a known
offset and the received timestamps must be the pushed ones plus that offset.
"""

from __future__ import annotations

import asyncio

import numpy as np
import pylsl
import pylsl.util
import pytest

from emostream.core.chunk import Chunk
from emostream.core.clock import lsl_now_s
from emostream.core.events import ClockOffset
from emostream.core.spec import StreamSpec
from emostream.sinks.lsl import StreamOutlets
from emostream.sources.lsl import LslQuery, LslSource

#: the remote clock runs this much behind ours (what `time_correction` reports)
OFFSET_S = 1234.5
N_SAMPLES = 50


@pytest.mark.parametrize("rate_hz", [0.0, 50.0], ids=["irregular", "dejittered"])
def test_received_timestamps_are_pushed_plus_the_measured_offset(unique_name, monkeypatch, rate_hz):
    monkeypatch.setattr(pylsl.StreamInlet, "time_correction", lambda self, timeout=0.0: OFFSET_S)
    spec = StreamSpec(
        "ECG", unique_name, ("ECG", "counter"), ("millivolts", "count"), rate_hz, f"{unique_name}:x"
    )
    step_s = 1.0 / rate_hz if rate_hz else 0.37
    pushed = lsl_now_s() - 30.0 + step_s * np.arange(N_SAMPLES)
    data = np.column_stack((np.zeros(N_SAMPLES), np.arange(N_SAMPLES))).astype(np.float32)
    outlets = StreamOutlets([spec])
    source = LslSource(LslQuery(source_id=spec.source_id), resolve_timeout_s=5.0)

    async def receive() -> tuple[np.ndarray, np.ndarray]:
        await source.open()
        outlets.push(Chunk(spec, pushed, data))
        ts, counter = [], []
        async for event in source.events():
            if isinstance(event, Chunk):
                ts.append(event.timestamps)
                counter.append(event.data[:, 1].astype(int))
                if sum(t.size for t in ts) >= N_SAMPLES:
                    break
        await source.aclose()
        return np.concatenate(ts), np.concatenate(counter)

    try:
        ts, counter = asyncio.run(asyncio.wait_for(receive(), timeout=30.0))
    finally:
        outlets.close()
    np.testing.assert_array_equal(counter, np.arange(N_SAMPLES))
    # dejittering refits the stamps of a regular stream, to well within one sample period
    np.testing.assert_allclose(ts, pushed + OFFSET_S, rtol=0, atol=1e-3 * step_s)
    assert [c.offset_s for c in source.clock_offsets] == [OFFSET_S]


def test_a_long_run_keeps_only_the_latest_offsets(unique_name, monkeypatch):
    """Every offset is yielded as an event; the source itself keeps a bounded history."""
    import emostream.sources.lsl as lsl

    monkeypatch.setattr(lsl, "CLOCK_OFFSETS_KEPT", 3)
    spec = StreamSpec("ECG", unique_name, ("ECG",), ("millivolts",), 50.0, f"{unique_name}:y")
    outlets = StreamOutlets([spec])
    source = LslSource(LslQuery(source_id=spec.source_id), clock_refresh_s=0.0)

    async def receive() -> int:
        await source.open()
        n_offsets = 0
        async for event in source.events():
            n_offsets += isinstance(event, lsl.ClockOffset)
            if n_offsets >= 6:
                break
            t0 = lsl_now_s()
            outlets.push(Chunk(spec, t0 + np.arange(5) / 50.0, np.zeros((5, 1), np.float32)))
        await source.aclose()
        return n_offsets

    try:
        n_offsets = asyncio.run(asyncio.wait_for(receive(), timeout=30.0))
    finally:
        outlets.close()
    assert n_offsets == 6
    assert len(source.clock_offsets) == 3


def test_a_clock_measurement_that_times_out_keeps_the_offset_and_the_stream(
    unique_name, monkeypatch
):
    """liblsl raises when the outlet does not answer a measurement in time (a host busy or
    going away): the offset in use stands, and the stream goes on."""
    calls = []

    def measure(inlet: pylsl.StreamInlet, timeout: float = 2.0) -> float:
        calls.append(timeout)
        if len(calls) > 1:
            raise pylsl.util.TimeoutError("the operation failed due to a timeout.")
        return OFFSET_S

    monkeypatch.setattr(pylsl.StreamInlet, "time_correction", measure)
    # irregular: the received timestamps are the pushed ones, shifted, without a dejitter fit
    spec = StreamSpec("ECG", unique_name, ("ECG",), ("millivolts",), 0.0, f"{unique_name}:t")
    outlets = StreamOutlets([spec])
    source = LslSource(LslQuery(source_id=spec.source_id), clock_refresh_s=0.0)

    async def receive() -> tuple[list[float], int]:
        await source.open()
        pushed, shifts, n_offsets = [], [], 0
        async for event in source.events():
            n_offsets += isinstance(event, ClockOffset)
            if isinstance(event, Chunk):
                shifts.extend(event.timestamps - pushed[: len(event)])
                del pushed[: len(event)]
                if len(shifts) >= 40:
                    break
            t0 = lsl_now_s()
            pushed.append(t0)
            outlets.push(Chunk(spec, np.array([t0]), np.zeros((1, 1), np.float32)))
            await asyncio.sleep(0.01)
        await source.aclose()
        return shifts, n_offsets

    try:
        shifts, n_offsets = asyncio.run(asyncio.wait_for(receive(), timeout=30.0))
    finally:
        outlets.close()
    assert len(calls) > 3  # measured again and again, failing every time after the first
    assert n_offsets == 1
    np.testing.assert_allclose(shifts, OFFSET_S, atol=1e-6)
