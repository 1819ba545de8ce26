"""The compiled per-sample loops equal the NumPy/SciPy operations they replace."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.lib.stride_tricks import sliding_window_view
from scipy import signal
from scipy.interpolate import CubicSpline

from emostream.features import kernels
from emostream.features.beats import EcgDetector, PpgDetector
from emostream.features.hrv import rr_artifacts
from emostream.features.voice import VoiceParams, _pulse_sums

from .conftest import neurokit_column

signals = st.lists(st.integers(-5, 5), min_size=0, max_size=60).map(
    lambda v: np.asarray(v, dtype=float)
)


@given(signals)
@settings(max_examples=500, deadline=None)
def test_most_prominent_peak_is_scipys(x):
    peaks, props = signal.find_peaks(x, prominence=(None, None))
    want = int(peaks[np.argmax(props["prominences"])]) if peaks.size else -1
    assert kernels.most_prominent_peak(x) == want


@given(signals)
@settings(max_examples=500, deadline=None)
def test_local_maxima_and_prominences_are_scipys(x):
    peaks, props = signal.find_peaks(x, prominence=(None, None))
    got_peaks, got_prominences = kernels.peak_prominences(x)
    np.testing.assert_array_equal(got_peaks, peaks)
    np.testing.assert_array_equal(got_prominences, props["prominences"])
    np.testing.assert_array_equal(kernels.local_maxima(-x), signal.find_peaks(-x)[0])


def test_prominences_on_a_real_phasic_signal_are_scipys(shared_data):
    eda_us = neurokit_column(shared_data, "bio_eventrelated_100hz.csv", "EDA")
    phasic = signal.sosfilt(signal.butter(2, 0.05, "highpass", fs=100.0, output="sos"), eda_us)
    peaks, props = signal.find_peaks(phasic, prominence=(None, None))
    got_peaks, got_prominences = kernels.peak_prominences(phasic)
    assert peaks.size > 10
    np.testing.assert_array_equal(got_peaks, peaks)
    np.testing.assert_array_equal(got_prominences, props["prominences"])


@given(
    st.integers(1, 4).flatmap(
        lambda n: st.tuples(
            st.lists(st.floats(-2, 2), min_size=n + 1, max_size=n + 1),
            st.lists(st.floats(-0.45 / n, 0.45 / n), min_size=n, max_size=n),
        )
    ),
    st.integers(1, 50),
)
@settings(max_examples=200, deadline=None)
def test_lfilter_is_scipys_with_carried_state(coefficients, chunk):
    b = np.asarray(coefficients[0])
    a = np.concatenate(([1.0], coefficients[1]))  # |a1| + ... < 1: stable
    x = np.random.default_rng(chunk).normal(0.0, 1.0, 200)
    want, _ = signal.lfilter(b, a, x, zi=signal.lfilter_zi(b, a) * x[0])
    zi = signal.lfilter_zi(b, a) * x[0]
    got = np.concatenate(
        [kernels.lfilter(b, a, x[i : i + chunk], zi) for i in range(0, 200, chunk)]
    )
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@given(st.lists(st.booleans(), max_size=40), st.booleans())
@settings(max_examples=200, deadline=None)
def test_transitions(flags, state):
    flags = np.asarray(flags, dtype=bool)
    padded = np.concatenate(([state], flags))
    want = np.flatnonzero(padded[1:] != padded[:-1])
    np.testing.assert_array_equal(kernels.transitions(flags, state), want)


def test_template_correlation_follows_its_definition():
    rng = np.random.default_rng(3)
    template = np.zeros(21)
    reference = None
    for _ in range(20):
        seg = np.sin(np.linspace(0, 3, 21)) + rng.normal(0, 0.2, 21)
        got = kernels.template_correlation(seg, template, 0.1)
        unit = (seg - seg.mean()) / np.linalg.norm(seg - seg.mean())
        if reference is None:
            want, reference = 1.0, unit
        else:
            want = float(unit @ reference / np.linalg.norm(reference))
            reference = 0.9 * reference + 0.1 * unit
        assert abs(got - want) < 1e-12
        np.testing.assert_allclose(template, reference, atol=1e-12)


def _moving_mean(x: np.ndarray, k: int) -> np.ndarray:
    return np.convolve(x, np.ones(k) / k)[: x.size]


def _delay(x: np.ndarray, n: int) -> np.ndarray:
    return np.concatenate((np.zeros(n), x))[: x.size]


@given(st.sampled_from([100.0, 250.0, 496.0, 1000.0]), st.integers(1, 700))
@settings(max_examples=20, deadline=None)
def test_ecg_front_is_its_filter_chain(fs, chunk):
    x = np.random.default_rng(int(fs)).normal(0, 1, int(4 * fs)).cumsum()
    detector = EcgDetector(fs)
    got = [detector._front(x[i : i + chunk]) for i in range(0, x.size, chunk)]
    clean, flags = (np.concatenate(parts) for parts in zip(*got, strict=True))
    k_base = int(np.rint(0.6 * fs)) | 1
    n_line = int(fs / 50)
    want = _delay(x, (k_base - 1) // 2) - _moving_mean(x, k_base)
    want = _moving_mean(_moving_mean(want, n_line), n_line)
    np.testing.assert_allclose(clean, want, atol=1e-9 * np.abs(x).max())
    grad = np.abs(np.diff(want, prepend=0.0))
    smooth = _moving_mean(grad, int(np.rint(0.1 * fs)))
    k_avg = int(np.rint(0.75 * fs))
    margin = _delay(smooth, (k_avg - 1) // 2) - 1.5 * _moving_mean(smooth, k_avg)
    decided = np.abs(margin) > 1e-9 * np.abs(x).max()
    np.testing.assert_array_equal(flags[decided], (margin > 0)[decided])


@given(st.integers(1, 200))
@settings(max_examples=20, deadline=None)
def test_ppg_front_is_elgendis_block_rule(chunk):
    fs = 64.0
    x = np.sin(np.arange(int(30 * fs)) * 2 * np.pi * 1.2 / fs) + 0.1
    detector = PpgDetector(fs)
    got = [detector._front(x[i : i + chunk]) for i in range(0, x.size, chunk)]
    clean, flags = (np.concatenate(parts) for parts in zip(*got, strict=True))
    energy = np.maximum(clean, 0.0) ** 2
    k_peak, k_beat = int(np.rint(0.111 * fs)), int(np.rint(0.667 * fs))
    shift = (k_beat - 1) // 2 - (k_peak - 1) // 2
    mean_energy = np.cumsum(energy) / np.arange(1, energy.size + 1)
    margin = _delay(_moving_mean(energy, k_peak), shift) - (
        _moving_mean(energy, k_beat) + 0.02 * mean_energy
    )
    decided = np.abs(margin) > 1e-9
    np.testing.assert_array_equal(flags[decided], (margin > 0)[decided])


def _rr_artifacts_numpy(rri: np.ndarray, alpha: float = 5.2, order: int = 11) -> np.ndarray:
    """The artifact rule written with NumPy (the reference for the compiled loop)."""
    bad = (rri < 250.0) | (rri > 2000.0)
    if rri.size < order:
        return bad
    median = np.quantile(rri, 0.5)
    bad |= np.abs(rri - median) > 0.2 * median
    half = order // 2
    padded = np.concatenate((np.full(half, rri[0]), rri, np.full(half, rri[-1])))
    local = np.median(np.lib.stride_tricks.sliding_window_view(padded, order), axis=1)
    departure = rri - local
    departure[departure < 0] *= 2.0
    jump = np.abs(np.diff(rri, prepend=rri[0]))
    departure = np.abs(departure)

    def threshold(x: np.ndarray) -> float:
        q1, q3 = np.quantile(x, [0.25, 0.75])
        return max(alpha * (q3 - q1) / 2.0, 1e-9)

    return bad | ((jump > threshold(jump)) & (departure > 3.0 * threshold(departure)))


@given(
    st.lists(st.floats(200.0, 2200.0), min_size=0, max_size=120),
    st.sampled_from([1.0, 8.0]),
)
@settings(max_examples=500, deadline=None)
def test_rr_artifacts_match_the_numpy_rule(values, resolution_ms):
    rri = np.round(np.asarray(values, dtype=float) / resolution_ms) * resolution_ms
    np.testing.assert_array_equal(rr_artifacts(rri), _rr_artifacts_numpy(rri))


@given(st.lists(st.floats(300.0, 1500.0), min_size=3, max_size=90), st.integers(0, 2**32 - 1))
@settings(max_examples=300, deadline=None)
def test_rr_statistics_match_numpy(values, seed):
    rng = np.random.default_rng(seed)
    rri = np.asarray(values)
    ts = np.cumsum(rri) / 1000.0
    ts[rng.random(rri.size) < 0.1] += 0.2  # some beats missing in between
    artifact = rng.random(rri.size) < 0.15
    clean = rri[~artifact]
    keep = ~artifact
    adjacent = np.abs(np.diff(ts) - rri[1:] / 1000.0) < 0.05
    diffs = np.diff(rri)[keep[1:] & keep[:-1] & adjacent]
    got = kernels.rr_statistics(ts, rri, artifact)
    want = [
        clean.size,
        clean.sum(),
        clean.mean() if clean.size else np.nan,
        clean.std(ddof=1) if clean.size > 1 else np.nan,
        diffs.size,
        np.sqrt(np.mean(diffs**2)) if diffs.size else np.nan,
        np.count_nonzero(np.abs(diffs) > 50.0),
        diffs.std(ddof=1) if diffs.size > 1 else np.nan,
    ]
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9)


@given(st.integers(2, 200), st.integers(0, 2**32 - 1))
@settings(max_examples=100, deadline=None)
def test_natural_cubic_spline_is_scipys(n, seed):
    rng = np.random.default_rng(seed)
    x = np.cumsum(rng.uniform(0.3, 1.5, n))
    y = rng.normal(800.0, 60.0, n)
    at = np.arange(x[0], x[-1], 0.25)
    want = CubicSpline(x, y, bc_type="natural")(at)
    np.testing.assert_allclose(kernels.natural_cubic_spline(x, y, at), want, atol=1e-9)


def _peaks_at_numpy(
    x: np.ndarray,
    rows: np.ndarray,
    start: np.ndarray,
    width: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the sub-sample position of the maximum of x[start : start + width] ∩ [lo, hi);
    `rows[i]` is x[i:] padded with -inf (a sliding-window view)."""
    first = np.maximum(start, lo)
    n = np.minimum(start + width, hi) - first
    ok = n > 0
    first = np.minimum(first, rows.shape[0] - 1)
    vals = rows[first, : max(int(n.max(initial=1)), 1)]
    vals = np.where(np.arange(vals.shape[1]) < n[:, None], vals, -np.inf)
    i = first + np.argmax(vals, axis=1)
    inner = ok & (i - 1 >= lo) & (i + 1 < hi)
    y0, y1, y2 = np.take(x, i[:, None] + np.arange(-1, 2), mode="clip").T
    denom = y0 - 2 * y1 + y2
    curved = inner & (denom < 0)
    shift = np.where(curved, 0.5 * (y0 - y2) / np.where(curved, denom, -1.0), 0.0)
    return i + shift, ok


def _hann_rms_numpy(
    x: np.ndarray, pos: np.ndarray, period: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> np.ndarray:
    """Each pulse's Hann-windowed RMS over a fifth of the periods on either side (the frame's
    period at the chain's ends), within the frame's support; 0 under 3 samples."""
    gaps = np.diff(pos, axis=1)
    left = 0.2 * np.concatenate((period[:, None], gaps), axis=1)
    right = 0.2 * np.concatenate((gaps, period[:, None]), axis=1)
    first = np.maximum(np.ceil(pos - left), np.maximum(lo, 0)[:, None]).astype(int)
    last = np.minimum(np.floor(pos + right), np.minimum(hi - 1, x.size - 1)[:, None]).astype(int)
    span = int(max((last - first).max(), 0)) + 1
    i = first[..., None] + np.arange(span)
    inside = i <= last[..., None]
    d = i - pos[..., None]
    width = np.where(d < 0, left[..., None], right[..., None])
    w = np.where(inside, 0.5 + 0.5 * np.cos(np.pi * d / np.where(width > 0, width, 1.0)), 0.0)
    xi = np.take(x, i, mode="clip")
    sum_w = (w * w).sum(axis=-1)
    rms = np.sqrt(((xi * w) ** 2).sum(axis=-1) / np.where(sum_w > 0, sum_w, 1.0))
    return np.where((last - first >= 2) & (left > 0) & (right > 0), rms, 0.0)


def _pulse_sums_numpy(
    x: np.ndarray,
    c: np.ndarray,
    period: np.ndarray,
    half_support: int,
    fs_hz: float,
    p: VoiceParams,
) -> np.ndarray:
    """The pulse chain written with NumPy, all frames in lock-step (the reference)."""
    hop_half = p.frame_step_s * fs_hz / 2
    lo, hi = c - half_support, c + half_support
    longest = int(np.ceil(period.max())) + 2
    rows = sliding_window_view(np.concatenate((x, np.full(longest, -np.inf))), longest)
    first = c - hop_half - 2.0 * period
    width = np.ceil(period).astype(int) + 1
    anchor, ok = _peaks_at_numpy(x, rows, np.floor(first).astype(int), width, lo, hi)
    # from 2 periods before the hop to 2 periods after it, one period per step
    n_steps = int(np.ceil(2 * hop_half / period.min())) + 5
    pos = np.empty((c.size, n_steps + 1))
    alive = np.empty((c.size, n_steps + 1), dtype=bool)
    pos[:, 0], alive[:, 0] = anchor, ok
    for k in range(n_steps):
        a = np.floor(pos[:, k] + 0.8 * period).astype(int)
        b = np.floor(pos[:, k] + 1.2 * period).astype(int)
        pos[:, k + 1], ok = _peaks_at_numpy(x, rows, a, b - a + 1, lo, hi)
        alive[:, k + 1] = alive[:, k] & ok & (b < hi)
    amp = _hann_rms_numpy(x, pos, period, lo, hi)
    periods = np.diff(pos, axis=1) / fs_hz
    starts = pos[:, :-1]
    valid = alive[:, :-1] & alive[:, 1:] & (periods >= p.min_period_s) & (periods <= p.max_period_s)
    mine = (starts >= (c - hop_half)[:, None]) & (starts < (c + hop_half)[:, None])
    out = np.zeros((c.size, 8))
    use = mine & valid
    out[:, 0] = np.where(use, periods, 0.0).sum(axis=1)
    out[:, 1] = use.sum(axis=1)
    # a pair (period k, k+1) and an amplitude pair (pulse k, k+1) belong to period k's frame
    p0, p1 = periods[:, :-1], periods[:, 1:]
    ratio = np.maximum(p0, p1) / np.maximum(np.minimum(p0, p1), 1e-12)
    jit = use[:, :-1] & valid[:, 1:] & (ratio <= p.max_period_factor)
    out[:, 2] = np.where(jit, np.abs(p1 - p0), 0.0).sum(axis=1)
    out[:, 3] = jit.sum(axis=1)
    a0, a1 = amp[:, :-1], amp[:, 1:]
    amp_ok = use & (a0 > 0) & (a1 > 0)
    amp_ratio = np.maximum(a0, a1) / np.maximum(np.minimum(a0, a1), 1e-12)
    shim = amp_ok & (amp_ratio <= p.max_amplitude_factor)
    out[:, 4] = np.where(amp_ok, a0, 0.0).sum(axis=1)
    out[:, 5] = amp_ok.sum(axis=1)
    out[:, 6] = np.where(shim, np.abs(a1 - a0), 0.0).sum(axis=1)
    out[:, 7] = shim.sum(axis=1)
    return out


@pytest.mark.parametrize("f0_hz", [95.0, 130.0, 220.0, 380.0])
def test_pulse_sums_match_the_numpy_chain(f0_hz):
    fs = 16000.0
    t = np.arange(int(2 * fs)) / fs
    phase = 2 * np.pi * np.cumsum(f0_hz * (1 + 0.03 * np.sin(2 * np.pi * 3 * t))) / fs
    rng = np.random.default_rng(int(f0_hz))
    x = sum(np.sin(k * phase) / k for k in range(1, 12)) + rng.normal(0, 0.01, t.size)
    x *= 1 + 0.1 * np.sin(2 * np.pi * 5 * t)  # shimmer
    p = VoiceParams()
    half = int(0.02 * fs)
    centres = np.arange(half, x.size - half, int(p.frame_step_s * fs))
    period = fs / f0_hz * (1 + 0.02 * rng.standard_normal(centres.size))
    got = _pulse_sums(x, centres, period, half, fs, p)
    want = _pulse_sums_numpy(x, centres, period, half, fs, p)
    assert got[:, 1].sum() > 0
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
