"""Display traces: bounded, decimated, read as deltas by point number."""

import numpy as np

from emostream.dashboard.traces import Trace


def test_trace_keeps_one_point_per_step_across_chunks():
    trace = Trace(capacity=100, min_step_s=0.1)
    t_s = np.arange(0, 2.0, 0.004)  # 250 Hz, 2 s, fed in uneven chunks
    for lo, hi in ((0, 7), (7, 130), (130, 131), (131, 500)):
        trace.extend(t_s[lo:hi], np.sin(t_s[lo:hi]).reshape(-1, 1))
    t, v = trace.since(0)
    assert 20 <= len(t) <= 21  # one per 0.1 s step, whatever the chunking
    assert np.all(np.diff(t) > 0.08)
    assert np.allclose(v, np.sin(t), atol=1e-3)


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
