"""One clock for every modality: real LSL outlets/inlets on loopback, a face producer with a
declared latency, an audio producer on a shifted clock; coverage and staleness per window."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import AsyncIterator

import numpy as np
import pytest

from emostream.core.chunk import Chunk
from emostream.core.clock import lsl_to_unix_offset_s
from emostream.core.events import Gap, SourceEvent
from emostream.core.spec import StreamSpec
from emostream.features.face import ACTION_UNITS, face_channels
from emostream.profiles import load_profile
from emostream.sinks.lsl import StreamOutlets
from emostream.sources.base import Source
from emostream.sources.lsl import LslQuery, LslSource
from emostream.sync import LatencyCorrected, StalenessTracker, correct_latency, modality_of
from emostream.windowing import WindowConfig, Windower

ECG_HZ, AUDIO_HZ, FACE_HZ = 250.0, 16000.0, 30.0
BEFORE_S, AFTER_S = 1.0, 1.0
#: the audio producer's clock runs this far ahead of ours (libfaketime shifts its clocks)
SHIFT_S = 1000
AU12 = 1 + ACTION_UNITS.index("AU12")

AUDIO_PRODUCER = textwrap.dedent(
    """
    import sys, time
    import numpy as np
    from emostream.core.chunk import Chunk
    from emostream.core.clock import lsl_to_unix_offset_s
    from emostream.core.spec import StreamSpec
    from emostream.sinks.lsl import StreamOutlets

    name, event_unix, shift, before, after, fs = sys.argv[1:]
    fs, before, after = float(fs), float(before), float(after)
    spec = StreamSpec("Audio", name, ("mic",), ("normalized",), fs, name + ":audio")
    outlets = StreamOutlets([spec])
    # this process's clocks are shifted: its unix time is the true one + shift
    t_event = float(event_unix) + float(shift) - lsl_to_unix_offset_s()
    k = np.arange(-int(before * fs), int(after * fs))
    x = 0.01 * np.sin(2 * np.pi * 200 * k / fs)
    x[(k >= 0) & (k < 160)] = 0.9  # a 10 ms click at the event
    deadline = time.monotonic() + 20
    while not outlets.have_consumers() and time.monotonic() < deadline:
        time.sleep(0.01)
    for part in np.array_split(np.arange(k.size), 20):
        outlets.push(Chunk(spec, t_event + k[part] / fs, x[part, None].astype(np.float32)))
    print("pushed", flush=True)
    sys.stdin.readline()
    """
)


def _grid(t_event: float, fs_hz: float) -> np.ndarray:
    return t_event + np.arange(-int(BEFORE_S * fs_hz), int(AFTER_S * fs_hz)) / fs_hz


async def _wait_for_consumers(outlets: list[StreamOutlets], timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not all(o.have_consumers() for o in outlets):
        assert time.monotonic() < deadline, "no inlet connected"
        await asyncio.sleep(0.01)


async def _collect(source, n_samples: int) -> tuple[np.ndarray, np.ndarray]:
    ts, data = [], []
    async for event in source.events():
        if isinstance(event, Chunk):
            ts.append(event.timestamps)
            data.append(event.data)
            if sum(t.size for t in ts) >= n_samples:
                break
    return np.concatenate(ts), np.concatenate(data)


def test_ecg_audio_face_events_line_up_after_alignment(unique_name, faketime_lib):
    event_unix = time.time()
    t_event = event_unix - lsl_to_unix_offset_s()  # the event on our LSL clock
    latency_s = load_profile("openface-lsl").device.latency_s
    assert latency_s == pytest.approx(0.12)

    ecg_spec = StreamSpec(
        "ECG", f"{unique_name}-ecg", ("ECG",), ("millivolts",), ECG_HZ, f"{unique_name}:ecg"
    )
    face_spec = StreamSpec(
        "Face",
        f"{unique_name}-face",
        face_channels(),
        ("",) * len(face_channels()),
        FACE_HZ,
        f"{unique_name}:face",
    )
    ecg_ts = _grid(t_event, ECG_HZ)
    ecg = np.where(np.abs(ecg_ts - t_event) < 1e-6, 1.5, 0.05)[:, None]
    face_true = _grid(t_event, FACE_HZ)
    face = np.zeros((face_true.size, len(face_channels())), dtype=np.float32)
    face[:, 0] = 0.95
    face[face_true >= t_event - 1e-9, AU12] = 3.0  # a smile starts at the event
    face_stamped = face_true + latency_s  # the tracker stamps each frame after analysing it

    env = dict(os.environ, LD_PRELOAD=faketime_lib, FAKETIME=f"+{SHIFT_S}s")
    producer = subprocess.Popen(
        [sys.executable, "-c", AUDIO_PRODUCER, f"{unique_name}-audio", repr(event_unix),
         str(SHIFT_S), str(BEFORE_S), str(AFTER_S), str(AUDIO_HZ)],
        env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    outlets = [StreamOutlets([ecg_spec]), StreamOutlets([face_spec])]
    try:
        audio_source = LslSource(LslQuery(name=f"{unique_name}-audio"), resolve_timeout_s=20.0)
        ecg_source = LslSource(LslQuery(name=ecg_spec.name), resolve_timeout_s=5.0)
        face_source = LatencyCorrected(
            LslSource(LslQuery(name=face_spec.name), resolve_timeout_s=5.0), latency_s
        )

        async def scenario():
            tasks = [
                asyncio.create_task(_collect(ecg_source, ecg_ts.size)),
                asyncio.create_task(_collect(face_source, face_true.size)),
                asyncio.create_task(_collect(audio_source, int((BEFORE_S + AFTER_S) * AUDIO_HZ))),
            ]
            await _wait_for_consumers(outlets)
            outlets[0].push(Chunk(ecg_spec, ecg_ts, ecg.astype(np.float32)))
            outlets[1].push(Chunk(face_spec, face_stamped, face))
            try:
                return await asyncio.wait_for(asyncio.gather(*tasks), timeout=30.0)
            finally:
                for source in (ecg_source, face_source, audio_source):
                    await source.aclose()

        (e_ts, e_x), (f_ts, f_x), (a_ts, a_x) = asyncio.run(scenario())
    finally:
        for o in outlets:
            o.close()
        try:
            producer.communicate("done\n", timeout=10)
        except subprocess.TimeoutExpired:
            producer.kill()
            producer.communicate()
    # the audio producer's clock really was shifted, and LSL measured it
    assert audio_source.clock_offsets[0].offset_s < -SHIFT_S + 1
    t_ecg = e_ts[np.argmax(e_x[:, 0])]
    t_audio = a_ts[np.argmax(np.abs(a_x[:, 0]) > 0.5)]
    t_face = f_ts[np.argmax(f_x[:, AU12] > 1.5)]
    assert t_ecg == pytest.approx(t_event, abs=0.002)
    assert abs(t_audio - t_ecg) <= 0.010
    assert abs(t_face - t_ecg) <= 0.010
    # without the declared latency the face would be off by the tracker's 120 ms
    assert abs(t_face + latency_s - t_ecg) > 0.1


def test_latency_correction_keeps_arrival_and_data():
    spec = StreamSpec("Face", "f", ("confidence", "AU12"), ("", ""), FACE_HZ, "f:face")
    chunk = Chunk(spec, np.array([10.0, 10.5]), np.ones((2, 2)), np.array([10.6, 10.6]))
    moved = correct_latency(chunk, 0.12)
    assert moved.timestamps == pytest.approx([9.88, 10.38])
    assert moved.arrival_s is chunk.arrival_s and moved.data is chunk.data
    assert correct_latency(chunk, 0.0) is chunk


class _Replayed(Source):
    """Yields the given events, as a device's source would."""

    def __init__(self, spec: StreamSpec, events: list[SourceEvent]):
        self._spec, self._events = spec, events

    @property
    def specs(self) -> tuple[StreamSpec, ...]:
        return (self._spec,)

    async def events(self) -> AsyncIterator[SourceEvent]:
        for event in self._events:
            yield event


def test_a_latency_corrected_streams_gap_moves_with_its_samples():
    """A face tracker that drops out: its gap lies between the samples on either side of it,
    on the corrected clock as on the producer's."""
    spec = StreamSpec("Face", "f", ("confidence", "AU12"), ("", ""), FACE_HZ, "f:face")
    before = Chunk(spec, np.array([10.0, 10.5]), np.ones((2, 2)))
    after = Chunk(spec, np.array([14.0, 14.5]), np.ones((2, 2)))
    gap = Gap("f:face", 10.5, 14.0, "tracker lost the face")

    async def corrected() -> list[SourceEvent]:
        source = LatencyCorrected(_Replayed(spec, [before, gap, after]), 0.12)
        return [event async for event in source.events()]

    first, moved_gap, last = asyncio.run(corrected())
    assert isinstance(first, Chunk) and isinstance(last, Chunk) and isinstance(moved_gap, Gap)
    assert moved_gap.t_from_s == pytest.approx(first.timestamps[-1])
    assert moved_gap.t_to_s == pytest.approx(last.timestamps[0])
    assert (moved_gap.source_id, moved_gap.reason) == (gap.source_id, gap.reason)


def _spec(kind: str, rate_hz: float) -> StreamSpec:
    return StreamSpec(kind, f"t-{kind}", ("x",), ("",), rate_hz, f"t:{kind.lower()}")


def test_dropout_mid_session_shows_in_coverage_and_staleness():
    """ECG runs throughout; the face stops at 30 s (the person turns away and the tracker
    publishes nothing); audio is there from the start."""
    streams = {
        "ECG": (_spec("ECG", 100.0), 0.0, 60.0),
        "Face": (_spec("Face", FACE_HZ), 0.0, 30.0),
        "Audio": (_spec("Audio", 1000.0), 0.0, 60.0),
    }
    windower = Windower(WindowConfig(length_s=10.0, hop_s=1.0, max_lag_s=2.0))
    tracker = StalenessTracker()
    rows = []
    grids = {k: start + np.arange(int((stop - start) * s.rate_hz)) / s.rate_hz
             for k, (s, start, stop) in streams.items()}  # fmt: skip
    for t in np.arange(0.0, 60.0, 0.25):
        for kind, (spec, _, _) in streams.items():
            ts = grids[kind][(grids[kind] >= t) & (grids[kind] < t + 0.25)]
            if ts.size:
                windower.push(Chunk.from_arrays(spec, ts, np.zeros(ts.size, np.float32)))
        for window in windower.pop_ready():
            rows.append((window.t_end, window.coverage, tracker.update(window)))
    by_end = {round(t_end): (cov, stale) for t_end, cov, stale in rows}
    cov, stale = by_end[25]
    assert cov["face"] == pytest.approx(1.0, abs=0.01) and stale["face"] < 0.05
    cov, stale = by_end[35]
    assert cov["face"] == pytest.approx(0.5, abs=0.01)
    assert stale["face"] == pytest.approx(5.0, abs=0.05)
    cov, stale = by_end[50]
    assert cov["face"] == 0.0 and stale["face"] == pytest.approx(20.0, abs=0.05)
    assert cov["ecg"] == pytest.approx(1.0, abs=0.01) and stale["ecg"] < 0.05
    assert stale["audio"] < 0.05
    ages = [stale["face"] for t_end, _, stale in rows if t_end > 31]
    assert np.all(np.diff(ages) > 0)  # grows window after window


def test_modality_of_keys():
    assert modality_of("face") == "face"
    assert modality_of("audio") == "voice"
    assert modality_of("ecg") == "physiology" and modality_of("eeg") == "physiology"
