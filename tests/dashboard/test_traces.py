"""Display traces: bounded, decimated, read as deltas by point number."""

import numpy as np

from emostream.dashboard.traces import Trace


def test_trace_keeps_each_steps_extremes_across_chunks():
    trace = Trace(capacity=100, min_step_s=0.1)
    t_s = np.arange(0, 2.0, 0.004)  # 250 Hz, 2 s, fed in uneven chunks
    signal = np.sin(2 * np.pi * 3 * t_s)
    signal[137] = 5.0  # a one-sample spike (an R peak) inside a slot
    chunks = ((0, 7), (7, 130), (130, 131), (131, 500))
    for lo, hi in chunks:
        trace.extend(t_s[lo:hi], signal[lo:hi].reshape(-1, 1))
    t, v = trace.since(0)
    assert np.all(np.diff(t) > 0)
    assert 5.0 in v
    slot_of_sample = np.floor(t_s / 0.1)
    slot_of_point = slot_of_sample[np.round(np.array(t) / 0.004).astype(int)]
    for slot in np.unique(slot_of_sample):
        samples, kept = signal[slot_of_sample == slot], np.array(v)[slot_of_point == slot]
        assert kept.min() == samples.min() and kept.max() == samples.max()
    # two points a slot, two more for each slot a chunk boundary splits
    assert len(t) <= 2 * 20 + 2 * (len(chunks) - 1)


def test_trace_is_bounded_and_a_late_reader_gets_what_is_held():
    trace = Trace(capacity=10)
    for k in range(25):
        trace.append(float(k), float(k))
    assert trace.n_written == 25
    t, _ = trace.since(0)
    assert t == [float(k) for k in range(15, 25)]
    t, _ = trace.since(22)
    assert t == [22.0, 23.0, 24.0]
    assert trace.since(25) == ([], [])
    assert trace.since(12, until=17)[0] == [15.0, 16.0]


def test_non_finite_values_become_none():
    trace = Trace(capacity=4)
    trace.extend(np.array([1.0, 2.0]), np.array([[np.nan], [3.0]]))
    assert trace.since(0) == ([1.0, 2.0], [None, 3.0])
