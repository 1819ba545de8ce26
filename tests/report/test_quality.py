"""Per-stream quality counts and display envelopes on hand-made signals."""

import numpy as np
import pandas as pd

from emostream.report.decimate import envelope
from emostream.report.quality import stream_quality, window_quality


def test_gaps_non_finite_values_and_steps_back_are_counted():
    ts = np.arange(0.0, 100.0, 0.1)  # 10 Hz
    ts = np.delete(ts, np.s_[200:230])  # a 3 s gap
    ts[500] = ts[499] - 0.05  # a step back
    ts[600] = np.nan
    data = np.ones((len(ts), 2))
    data[700, 1] = np.inf
    q = stream_quality("eda", "EDA", 10.0, ts, data)
    assert (q.n_samples, q.n_gaps, q.n_nonfinite, q.n_out_of_order) == (970, 1, 2, 1)
    assert abs(q.gap_s - 3.0) < 1e-9
    assert abs(q.completeness - 970 / (99.9 * 10 + 1)) < 1e-9


def test_an_envelope_keeps_every_extreme_and_skips_non_finite_values():
    rng = np.random.default_rng(1)
    values = rng.normal(size=(100_000, 1))
    values[12_345, 0] = 50.0
    values[77_777, 0] = -50.0
    values[40_000:40_100, 0] = np.nan
    env = envelope(np.arange(100_000) / 250.0, values, 1000)
    assert env.low.shape == (1000, 1) and len(env.t_s) == 1000
    assert np.nanmax(env.high) == 50.0 and np.nanmin(env.low) == -50.0
    # the bin of 100 samples that holds only NaN is NaN; every other bin is finite
    assert np.isnan(env.low[400, 0]) and np.isnan(env.high[400, 0])
    rest = np.delete(env.low, 400, axis=0), np.delete(env.high, 400, axis=0)
    assert np.all(np.isfinite(rest[0])) and np.all(rest[0] <= rest[1])
    short = envelope(np.arange(10.0), values[:10], 1000)
    assert np.array_equal(short.low, values[:10])


def test_window_quality_gives_the_mean_and_the_worst_window_of_each_stream():
    features = pd.DataFrame(
        {
            "t_end": [60.0, 65.0, 70.0, 75.0],
            "coverage_ecg": [1.0, 1.0, 0.0, 1.0],  # one window lost the stream
            "coverage_eda": [1.0, 0.9, 1.0, 1.0],
            "staleness_ecg_s": [0.1, 0.2, 9.0, 0.1],
        }
    )
    ecg, eda = window_quality(features)
    assert (ecg.key, eda.key) == ("ecg", "eda")
    assert (ecg.coverage_mean, ecg.coverage_min) == (0.75, 0.0)
    assert ecg.staleness_max_s == 9.0 and abs(ecg.staleness_mean_s - 2.35) < 1e-9
    assert eda.coverage_min == 0.9 and eda.staleness_mean_s is None
