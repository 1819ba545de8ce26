"""The synthetic wearer: deterministic, chunk-invariant, and physiologically plausible per phase."""

import asyncio

import numpy as np
import pytest
from scipy import signal

from emostream.sources.synthetic import SyntheticWearerSource
from emostream.synth.physiology import StreamRenderer, make_timeline
from emostream.synth.protocol import Protocol

PROTOCOL = Protocol(
    (("baseline", 240.0), ("stress", 240.0), ("recovery", 240.0), ("amusement", 240.0))
)
TOTAL_S = PROTOCOL.duration_s


@pytest.fixture(scope="module")
def timeline():
    return make_timeline(PROTOCOL, TOTAL_S, seed=11)


def phase_slices(skip_s: float = 90.0):
    """The settled part of each phase (after the transition)."""
    return {name: (start + skip_s, end) for name, start, end in PROTOCOL.boundaries(TOTAL_S)}


def collect(source):
    async def run():
        return [event async for event in source.events()]

    return asyncio.run(run())


def test_same_seed_same_data_any_chunking():
    a = collect(SyntheticWearerSource(seed=3, duration_s=30.0, chunk_s=0.1))
    b = collect(SyntheticWearerSource(seed=3, duration_s=30.0, chunk_s=1.7))
    c = collect(SyntheticWearerSource(seed=4, duration_s=30.0, chunk_s=0.1))
    for kind in ("ECG", "EEG", "EDA", "Markers"):
        da = np.concatenate([e.data for e in a if e.spec.kind == kind])
        db = np.concatenate([e.data for e in b if e.spec.kind == kind])
        assert np.array_equal(da, db), kind
    ecg_a = np.concatenate([e.data for e in a if e.spec.kind == "ECG"])
    ecg_c = np.concatenate([e.data for e in c if e.spec.kind == "ECG"])
    assert not np.array_equal(ecg_a, ecg_c)


def test_the_counter_channel_numbers_every_sample_of_the_session():
    events = collect(
        SyntheticWearerSource(
            seed=2, duration_s=20.0, chunk_s=0.7, counter_channel=True, kinds=("ECG", "EDA")
        )
    )
    for kind in ("ECG", "EDA"):
        chunks = [e for e in events if e.spec.kind == kind]
        assert len(chunks) > 10 and chunks[0].spec.channels[-1] == "counter"
        rate_hz = chunks[0].spec.rate_hz
        counter = np.concatenate([c.data[:, -1] for c in chunks])
        np.testing.assert_array_equal(counter, np.arange(round(20.0 * rate_hz)))


def test_heart_rate_and_hrv_follow_the_phases(timeline):
    beats = timeline.beat_t_s
    hr, rmssd = {}, {}
    for name, (lo, hi) in phase_slices().items():
        rr_ms = np.diff(beats[(beats > lo) & (beats < hi)]) * 1000
        hr[name] = 60000 / rr_ms.mean()
        rmssd[name] = np.sqrt(np.mean(np.diff(rr_ms) ** 2))
    assert hr["stress"] > hr["amusement"] > hr["recovery"] > hr["baseline"] - 3
    assert hr["stress"] - hr["baseline"] > 15
    assert rmssd["stress"] < 0.6 * rmssd["baseline"]
    assert 30 < rmssd["baseline"] < 70


def test_eda_level_and_scr_rate_rise_under_stress(timeline):
    r = StreamRenderer(timeline, "EDA", 16.0, seed=11)
    t, eda = r.render(int(TOTAL_S * 16))
    onsets = timeline.scr_onset_s
    scl, scr_rate = {}, {}
    for name, (lo, hi) in phase_slices().items():
        scl[name] = eda[(t > lo) & (t < hi), 0].mean()
        scr_rate[name] = np.count_nonzero((onsets > lo) & (onsets < hi)) / ((hi - lo) / 60)
    assert scl["stress"] > scl["recovery"] > scl["baseline"]
    assert scr_rate["stress"] > 2 * scr_rate["baseline"]


def test_eeg_alpha_drops_under_stress_and_faa_follows_valence(timeline):
    r = StreamRenderer(timeline, "EEG", 256.0, seed=11)
    t, eeg = r.render(int(TOTAL_S * 256))

    def alpha(name, ch):
        lo, hi = phase_slices()[name]
        f, p = signal.welch(eeg[(t > lo) & (t < hi), ch], fs=256.0, nperseg=512)
        return p[(f >= 8) & (f <= 13)].sum()

    assert alpha("stress", 0) < 0.6 * alpha("baseline", 0)
    faa = {n: np.log(alpha(n, 2)) - np.log(alpha(n, 1)) for n in ("stress", "amusement")}
    assert faa["amusement"] > faa["stress"] + 0.2


def test_respiration_rate_and_temperature(timeline):
    rsp = StreamRenderer(timeline, "RSP", 32.0, seed=11)
    t, x = rsp.render(int(TOTAL_S * 32))
    rates = {}
    for name, (lo, hi) in phase_slices().items():
        seg = x[(t > lo) & (t < hi), 0]
        f, p = signal.welch(seg, fs=32.0, nperseg=len(seg))
        rates[name] = 60 * f[np.argmax(p)]
    assert rates["stress"] > rates["baseline"] + 4
    temp = StreamRenderer(timeline, "TEMP", 4.0, seed=11)
    tt, c = temp.render(int(TOTAL_S * 4))
    lo, hi = PROTOCOL.boundaries(TOTAL_S)[1][1:]
    in_stress = c[(tt > lo) & (tt < hi), 0]
    assert in_stress[-40:].mean() < in_stress[:40].mean()  # peripheral cooling under stress


def _markers(events) -> list[tuple[float, str]]:
    """(time, text) of every marker the source sent, in order."""
    return [
        (float(t), m)
        for e in events
        if e.spec.is_markers
        for t, m in zip(e.timestamps, e.data[:, 0], strict=True)
    ]


def test_markers_follow_the_protocol():
    events = collect(
        SyntheticWearerSource(seed=1, duration_s=TOTAL_S, protocol=PROTOCOL, chunk_s=5.0)
    )
    markers = _markers(events)
    assert markers[0] == (0.0, "phase:baseline:start")
    assert markers[1] == (240.0, "phase:baseline:end")
    assert [m for _, m in markers if m.endswith(":start")] == [
        f"phase:{p}:start" for p in ("baseline", "stress", "recovery", "amusement")
    ]


def test_a_session_longer_than_the_protocol_repeats_it():
    protocol = Protocol((("baseline", 60.0), ("stress", 60.0)))
    events = collect(
        SyntheticWearerSource(seed=2, duration_s=300.0, protocol=protocol, kinds=("Markers",))
    )
    markers = _markers(events)
    assert [(t, m) for t, m in markers if m.endswith(":start")] == [
        (0.0, "phase:baseline:start"),
        (60.0, "phase:stress:start"),
        (120.0, "phase:baseline:start"),
        (180.0, "phase:stress:start"),
        (240.0, "phase:baseline:start"),
    ]
    assert (240.0, "phase:stress:end") in markers
    hr = protocol.setpoint("hr_bpm", np.array([170.0, 230.0, 290.0]), 300.0)
    assert hr[0] < 75.0 < 85.0 < hr[1] and hr[2] < 75.0  # the second pass has its phases too


def test_an_hour_renders_in_blocks():
    tl = make_timeline(Protocol(), 3600.0, seed=2)
    r = StreamRenderer(tl, "ECG", 250.0, seed=2)
    n = 0
    while n < 3600 * 250:
        _, x = r.render(min(250 * 60, 3600 * 250 - n))
        n += x.shape[0]
    assert n == 900_000 and np.isfinite(x).all()
