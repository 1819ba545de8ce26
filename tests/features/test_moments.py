"""Sliding mean/SD against numpy on the real accelerometer of an E4 session (every window of
the session, through the ACC extractor) and on 12 hours made of that session."""

from __future__ import annotations

import numpy as np
import pytest

from emostream.features.acc import (
    AccExtractor,
    AccParams,
    acc_features,
    finite_rows,
    motion_rows,
)
from emostream.features.moments import SlidingMoments
from emostream.formats import e4

from .conftest import Span, spec

WINDOW_S, HOP_S = 60.0, 1.0
#: sums slid instead of recomputed: the batch statistics to this relative error (or 1e-12 g)
REL, ABS_G = 1e-9, 1e-12


@pytest.fixture(scope="module")
def s02_acc(shared_data):
    acc = e4.read(shared_data / "stress_predict" / "Raw_data" / "S02").streams["acc"]
    return acc.timestamps, acc.data[:, :3].astype(float)


def test_acc_extractor_equals_batch_on_every_window_of_a_session(s02_acc):
    ts, xyz = s02_acc
    xyz = xyz.copy()
    xyz[5000:5003] = np.nan  # dropped samples leave and enter the sliding sums too
    params = AccParams(per_axis=True)
    extractor = AccExtractor(spec("ACC", 32.0, "g", ("x", "y", "z")), params)
    n_windows, written = 0, 0
    for t_end in np.arange(ts[0] + WINDOW_S, ts[-1], HOP_S):
        fresh = int(np.searchsorted(ts, t_end, side="right"))
        extractor.update(ts[written:fresh], xyz[written:fresh])
        written = fresh
        got = extractor.compute(Span(t_end - WINDOW_S, t_end), "acc").values
        want = acc_features(ts, xyz, t_end - WINDOW_S, t_end, params).values
        assert got == pytest.approx(want, rel=REL, abs=ABS_G), t_end
        n_windows += 1
    assert n_windows > 3000


def test_sliding_moments_stay_exact_over_twelve_hours(s02_acc):
    _, xyz = s02_acc
    # ~12 h at 32 Hz: the session twelve times, each hour at another gain and posture offset
    # (values no longer on the E4's 1/64 g grid, so the sums round)
    rows = finite_rows(
        motion_rows(np.concatenate([xyz * (1 + 0.1 * k) + 0.3 * k for k in range(12)]))
    )
    window, hop = int(WINDOW_S * 32), int(HOP_S * 32)
    moments = SlidingMoments(4)
    moments.rebuild(rows[:window])
    checked = 0
    for k, start in enumerate(range(hop, rows.shape[0] - window, hop)):
        moments.remove(rows[start - hop : start])
        moments.add(rows[start + window - hop : start + window])
        if k % 50 == 0:
            inside = rows[start : start + window]
            assert moments.n == window
            np.testing.assert_allclose(moments.mean(), inside.mean(axis=0), rtol=REL, atol=ABS_G)
            np.testing.assert_allclose(moments.sd(), inside.std(axis=0), rtol=REL, atol=ABS_G)
            checked += 1
        if moments.stale:
            moments.rebuild(rows[start : start + window])
    assert rows.shape[0] > 12 * 3500 * 32 and checked > 800


def test_acc_rows_arriving_inside_the_last_window_are_summed_afresh():
    # a window computed before all of its samples came: the next one must still hold them
    rng = np.random.default_rng(2)
    ts = np.arange(1, 70 * 32 + 1) / 32.0
    xyz = rng.normal([0.1, 0.2, 0.9], 0.05, (ts.size, 3))
    extractor = AccExtractor(spec("ACC", 32.0, "g", ("x", "y", "z")), AccParams(per_axis=True))
    first = ts <= 50.0
    extractor.update(ts[first], xyz[first])
    extractor.compute(Span(0.0, 60.0), "acc")
    extractor.update(ts[~first], xyz[~first])
    got = extractor.compute(Span(1.0, 61.0), "acc").values
    want = acc_features(ts, xyz, 1.0, 61.0, AccParams(per_axis=True)).values
    assert got == pytest.approx(want, rel=REL, abs=ABS_G)


def test_rebuilding_keeps_a_drifting_level_exact_over_twelve_hours():
    # a level that moves far from the shift the sums were taken around (50 units per hour,
    # SD 0.01): without the periodic rebuild the SD is off by about 2e-8 after 12 h
    rng = np.random.default_rng(3)
    n, window, hop = 12 * 3600 * 32, 1920, 32
    x = (np.arange(n) / 32.0 / 3600.0 * 50.0 + rng.normal(0.0, 0.01, n))[:, None]
    moments = SlidingMoments(1)
    moments.rebuild(x[:window])
    for k, start in enumerate(range(hop, n - window, hop)):
        moments.remove(x[start - hop : start])
        moments.add(x[start + window - hop : start + window])
        if k % 50 == 0:
            inside = x[start : start + window]
            np.testing.assert_allclose(moments.mean(), inside.mean(axis=0), rtol=REL)
            np.testing.assert_allclose(moments.sd(), inside.std(axis=0), rtol=REL)
        if moments.stale:
            moments.rebuild(x[start : start + window])
