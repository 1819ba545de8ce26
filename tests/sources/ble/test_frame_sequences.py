"""Sequences of notifications, as a device sends them with faults: nothing is lost silently.

Every sample sent either reaches a chunk or is counted as dropped; stamps stay finite and
strictly increasing across chunks; a multichannel packet is assembled from exactly the
notifications that were sent for its index.
"""

from __future__ import annotations

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from emostream.profiles import load_profile
from emostream.protocols import muse, pmd
from emostream.sources.ble import PolarH10
from tests.sources.stamped_chunks import StampedChunks

#: one PMD frame: (ECG or ACC, samples, error of its device time in s, arrival delay in s,
#: truncated)
FRAMES = st.lists(
    st.tuples(
        st.sampled_from(["ECG", "ACC"]),
        st.integers(1, 80),
        st.one_of(st.just(0.0), st.floats(-3, 3), st.floats(-1e7, 1e7)),
        st.floats(0, 0.5),
        st.booleans(),
    ),
    min_size=1,
    max_size=30,
)
MEASUREMENTS = {"ECG": (pmd.Measurement.ECG, 0, 1), "ACC": (pmd.Measurement.ACC, 1, 3)}


@settings(max_examples=300, deadline=None)
@given(FRAMES, st.floats(0, 1e6), st.integers(0, 2**62))
@example([("ACC", 5, 0.0, 0.0, False), ("ECG", 5, 1e7, 0.0, False)], 100.0, 10**12)
def test_polar_frames_with_bad_times_lose_nothing_uncounted(
    frames: list[tuple[str, int, float, float, bool]], start_s: float, device_start_ns: int
) -> None:
    polar = PolarH10(load_profile("polar-h10"), "F2:00:00:00:80:09")
    elapsed_s = dict.fromkeys(MEASUREMENTS, 0.0)
    n_sent = dict.fromkeys(MEASUREMENTS, 0)
    received = StampedChunks()
    for kind, n, error_s, delay_s, truncated in frames:
        measurement, frame_type, n_channels = MEASUREMENTS[kind]
        spec = polar.spec(kind)
        assert spec is not None
        elapsed_s[kind] += n / spec.rate_hz
        device_ns = device_start_ns + int((elapsed_s[kind] + error_s) * 1e9)
        samples = np.arange(n * n_channels).reshape(n, n_channels)
        payload = pmd.encode_frame(measurement, max(device_ns, 0), frame_type, samples)
        if truncated:
            payload = payload[:-1]
        else:
            n_sent[kind] += n
        for chunk in polar.decode("pmd", start_s + elapsed_s[kind] + delay_s, payload):
            received.add(chunk.spec.kind, chunk)
    stats = polar.timestamp_stats()
    for kind in MEASUREMENTS:
        spec = polar.spec(kind)
        assert spec is not None
        assert received.n_received[kind] + stats[spec.source_id].n_dropped == n_sent[kind]
    assert polar.stats["pmd"].rejected == sum(frame[4] for frame in frames)


#: one EEG notification: (channel, packet index)
NOTIFICATIONS = st.lists(st.tuples(st.integers(0, 4), st.integers(0, 40)), max_size=120)


@settings(max_examples=300, deadline=None)
@given(NOTIFICATIONS, st.integers(1, 8))
@example([(channel, 1) for channel in range(5)] + [(0, 0)], 2)  # a late notification
@example([(0, index) for index in range(10)], 1)  # incomplete packets pile up
def test_muse_packets_hold_exactly_the_notifications_sent(
    notifications: list[tuple[int, int]], max_pending: int
) -> None:
    assembler = muse.PacketAssembler(max_pending=max_pending)
    released: list[muse.AssembledPacket] = []
    for channel, index in notifications:
        raw = np.full(muse.SAMPLES_PER_PACKET, 100 * channel + index)
        released += assembler.add(channel, index, muse.EegPacket(index, raw), float(index))
        assert assembler.n_pending <= max_pending
    for later_index in range(1000, 1001 + max_pending):  # newer packets push every one out
        raw = np.zeros(muse.SAMPLES_PER_PACKET)
        released += assembler.add(0, later_index, muse.EegPacket(later_index, raw), 0.0)
    indices = [p.index for p in released]
    assert indices == sorted(set(indices))
    n_samples = 0
    for packet in released:
        if packet.index >= 1000:
            continue
        present = ~np.isnan(packet.microvolts[0])
        assert packet.n_missing == assembler.n_channels - present.sum()
        for channel in np.flatnonzero(present):
            sent = muse.EegPacket(packet.index, np.array([100 * channel + packet.index]))
            assert np.all(packet.microvolts[:, channel] == sent.microvolts)
        n_samples += int(present.sum())
    assert n_samples + assembler.n_duplicates == len(notifications)
