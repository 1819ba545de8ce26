import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from emostream.core.ring import RingBuffer


@given(
    capacity=st.integers(1, 64),
    writes=st.lists(st.integers(0, 100), min_size=1, max_size=20),
)
@settings(max_examples=200, deadline=None)
def test_ring_keeps_the_newest_samples_in_order(capacity, writes):
    ring = RingBuffer(capacity, 2)
    total = 0
    for n in writes:
        idx = np.arange(total, total + n, dtype=np.float64)
        ring.write(idx, np.column_stack((idx, -idx)))
        total += n
    held = ring.read_from(0)
    expected = np.arange(max(0, total - capacity), total, dtype=np.float64)
    np.testing.assert_array_equal(held.timestamps, expected)
    np.testing.assert_array_equal(held.data[:, 1], -expected)
    assert held.n_dropped == max(0, total - capacity)
    assert ring.n_written == total


@given(
    n=st.integers(1, 200),
    capacity=st.integers(1, 80),
    t0=st.floats(-5, 205),
    span=st.floats(0, 100),
)
@settings(max_examples=300, deadline=None)
def test_between_selects_half_open_time_range(n, capacity, t0, span):
    ring = RingBuffer(capacity, 1)
    ts = np.arange(n, dtype=np.float64)
    ring.write(ts[: n // 2], ts[: n // 2, None])
    ring.write(ts[n // 2 :], ts[n // 2 :, None])
    got_ts, got = ring.between(t0, t0 + span)
    held = ts[max(0, n - capacity) :]
    expected = held[(held > t0) & (held <= t0 + span)]
    np.testing.assert_array_equal(got_ts, expected)
    np.testing.assert_array_equal(got[:, 0], expected)


def test_write_never_reallocates():
    ring = RingBuffer(10, 1)
    before = ring._data.__array_interface__["data"][0]
    for i in range(50):
        ring.write(np.array([float(i)]), np.array([[float(i)]]))
    assert ring._data.__array_interface__["data"][0] == before


@given(
    capacity=st.integers(1, 40),
    rows=st.lists(st.booleans(), min_size=1, max_size=120),
    lo=st.integers(0, 130),
    span=st.integers(0, 130),
)
@settings(max_examples=300, deadline=None)
def test_nonfinite_rows_are_counted_in_any_range(capacity, rows, lo, span):
    ring = RingBuffer(capacity, 2)
    values = np.zeros((len(rows), 2))
    values[np.array(rows), 1] = np.nan
    ts = np.arange(len(rows), dtype=np.float64)
    ring.write(ts[:7], values[:7])
    ring.write(ts[7:], values[7:])
    hi = lo + span
    held_lo = max(lo, len(rows) - capacity)
    held_hi = min(hi, len(rows))
    expected = int(np.sum(rows[held_lo:held_hi])) if held_hi > held_lo else 0
    assert ring.n_nonfinite(lo, min(hi, ring.n_written)) == expected
