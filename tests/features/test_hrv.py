"""R-peaks and HRV against NeuroKit2 on real ECG; streaming equals batch."""

from __future__ import annotations

import warnings

import neurokit2 as nk
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emostream.features.beats import MIN_BEAT_GAP_S, detect_beats, detector_for
from emostream.features.hrv import (
    HrvExtractor,
    HrvParams,
    band_powers_ms2,
    hrv_features,
    rr_artifacts,
)

from .conftest import Span, drive05_ecg, neurokit_column, spec

TOLERANCE_S = 0.05


def f1_score(found_s: np.ndarray, reference_s: np.ndarray, tolerance_s: float) -> float:
    """F1 of one-to-one matches within the tolerance (greedy, nearest first)."""
    used = np.zeros(reference_s.size, bool)
    hits = 0
    for t in found_s:
        d = np.abs(reference_s - t)
        d[used] = np.inf
        j = int(np.argmin(d))
        if d[j] <= tolerance_s:
            used[j] = True
            hits += 1
    return 2 * hits / (found_s.size + reference_s.size)


def reference_peaks_s(ecg: np.ndarray, fs_hz: float) -> np.ndarray:
    clean = nk.ecg_clean(ecg, sampling_rate=fs_hz)
    _, info = nk.ecg_peaks(clean, sampling_rate=fs_hz)
    return info["ECG_R_Peaks"] / fs_hz


def real_ecgs(shared):
    yield "ecg_1000hz", neurokit_column(shared, "ecg_1000hz.csv", "ECG"), 1000.0
    yield "bio_resting_5min", neurokit_column(shared, "bio_resting_5min_100hz.csv", "ECG"), 100.0
    ecg, fs = drive05_ecg(shared, 600.0)
    yield "drive05", ecg, fs


def test_rpeaks_match_neurokit_at_r_maximum(shared_data):
    for name, ecg, fs in real_ecgs(shared_data):
        ts = np.arange(ecg.size) / fs
        found = detect_beats("ECG", ts, ecg, fs)
        ref = reference_peaks_s(ecg, fs)
        f1 = f1_score(found, ref, TOLERANCE_S)
        assert f1 >= 0.99, (
            f"{name}: F1 {f1:.4f} vs neurokit2.ecg_peaks ({found.size} vs {ref.size})"
        )


def test_beats_closer_than_the_refractory_gap_are_one_beat(shared_data):
    """No two beats of real ECG less than 0.3 s apart (NeuroKit2's `mindelay`): a T wave or
    a noisy QRS right after a beat is not another beat."""
    for name, ecg, fs in real_ecgs(shared_data):
        beats = detect_beats("ECG", np.arange(ecg.size) / fs, ecg, fs)
        assert np.diff(beats).min() > MIN_BEAT_GAP_S, name


def _real_ecg_minutes(shared_data):
    """(recording, fs, its beats, window end, HRV of the minute before it) of every whole
    minute of the real ECGs (ecg_1000hz, 50 s, has none)."""
    params = HrvParams(correct_artifacts=False)
    for name, ecg, fs in real_ecgs(shared_data):
        ts = np.arange(ecg.size) / fs
        beats = detect_beats("ECG", ts, ecg, fs)
        rri = np.diff(beats, prepend=np.nan) * 1000.0
        for t_end in np.arange(60.0, ts[-1], 60.0):
            out = hrv_features(beats, rri, np.ones(beats.size), t_end - 60, t_end, params, "ecg")
            yield name, fs, beats, t_end, out


def test_rmssd_sdnn_match_neurokit_hrv_time(shared_data):
    checked = 0
    for name, _, beats, t_end, out in _real_ecg_minutes(shared_data):
        inside = beats[(beats > t_end - 60) & (beats <= t_end)]
        ref = nk.hrv_time(np.rint(inside * 1000).astype(int), sampling_rate=1000)
        for ours, theirs in (("hrv_rmssd_ms", "HRV_RMSSD"), ("hrv_sdnn_ms", "HRV_SDNN")):
            expected = float(ref[theirs].iloc[0])
            assert out.values[ours] == pytest.approx(expected, rel=0.02), (name, t_end, ours)
        checked += 1
    assert checked >= 13


def test_pnn50_and_poincare_sd1_sd2_match_neurokit(shared_data):
    """On the same intervals (NeuroKit2 also given the beat before the window, whose interval
    ends at the window's first beat): pNN50 as `nk.hrv_time`'s, over the intervals rather than
    their differences, and Poincaré SD1/SD2 as `nk.hrv_nonlinear`'s (SD2 from SDNN and SDSD,
    within 3% of NeuroKit2's direct estimate)."""
    checked = 0
    for name, fs, beats, t_end, out in _real_ecg_minutes(shared_data):
        lo, hi = np.searchsorted(beats, (t_end - 60, t_end), side="right")
        peaks = np.rint(beats[max(lo - 1, 0) : hi] * fs).astype(int)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # entropy and DFA warn on short series
            time_domain = nk.hrv_time(peaks, sampling_rate=fs).iloc[0]
            poincare = nk.hrv_nonlinear(peaks, sampling_rate=fs).iloc[0]
        got = out.values
        assert got["hrv_sd1_ms"] == pytest.approx(poincare["HRV_SD1"], rel=1e-9), name
        assert got["hrv_sd2_ms"] == pytest.approx(poincare["HRV_SD2"], rel=0.03), name
        # at 100 Hz, differences of exactly 50 ms are common: they are not over 50 ms
        assert got["hrv_pnn50_pct"] == pytest.approx(time_domain["HRV_pNN50"], rel=1e-9), name
        checked += 1
    assert checked >= 13


def test_pnn50_does_not_count_differences_of_exactly_50_ms():
    """Beats on a 100 Hz sample grid, intervals alternating 800 and 850 ms: every difference
    is 50 ms, though the intervals, taken from timestamps, carry rounding errors."""
    beats = np.cumsum(np.tile([80, 85], 40)) / 100.0
    rri = np.diff(beats, prepend=np.nan) * 1000.0
    assert (np.abs(np.diff(rri[1:])) > 50.0).any()  # the rounding errors are there
    params = HrvParams(correct_artifacts=False)
    out = hrv_features(beats, rri, np.ones(beats.size), 0.0, beats[-1], params, "ecg")
    assert out.values["hrv_pnn50_pct"] == 0.0


def test_quality_is_the_share_of_the_window_its_clean_beats_explain():
    """Beats that stop halfway through a 60 s window (the strap came off) explain half of it:
    quality 0.5, whatever the unit of the intervals."""
    beats = np.arange(0.8, 30.0, 0.8)
    rri = np.full(beats.size, 800.0)
    out = hrv_features(beats, rri, np.ones(beats.size), 0.0, 60.0, HrvParams(), "ecg")
    assert out.quality["ecg"] == pytest.approx(beats.size * 0.8 / 60.0)
    assert out.quality["ecg"] < 0.5


def test_ppg_peaks_match_neurokit_on_real_ppg(shared_data):
    """Systolic peaks of real PPG (100 Hz, 5 min) against `nk.ppg_findpeaks` (Elgendi) on
    NeuroKit2's cleaned signal."""
    fs = 100.0
    ppg = neurokit_column(shared_data, "bio_resting_5min_100hz.csv", "PPG")
    found = detect_beats("PPG", np.arange(ppg.size) / fs, ppg, fs)
    clean = nk.ppg_clean(ppg, sampling_rate=fs)
    ref = nk.ppg_findpeaks(clean, sampling_rate=fs)["PPG_Peaks"] / fs
    f1 = f1_score(found, ref, TOLERANCE_S)
    assert f1 >= 0.99, f"F1 {f1:.4f} vs neurokit2.ppg_findpeaks ({found.size} vs {ref.size})"


def test_artifact_correction_removes_ectopic_beats():
    rng = np.random.default_rng(1)
    rri = 800 + rng.normal(0, 15, 120)
    rri[[30, 70]] = [450, 1150]  # premature beat and missed beat
    mask = rr_artifacts(rri)
    assert mask[30] and mask[70]
    assert mask.sum() <= 4


def test_lf_hf_absent_on_short_windows():
    beats = np.cumsum(np.full(400, 0.8))
    rri = np.full(beats.size, 800.0) + 20 * np.sin(2 * np.pi * 0.25 * beats)
    params = HrvParams()
    ones = np.ones(beats.size)
    short = hrv_features(beats, rri, ones, 10, 60, params, "ecg").values
    medium = hrv_features(beats, rri, ones, 10, 80, params, "ecg").values
    long = hrv_features(beats, rri, ones, 10, 140, params, "ecg").values
    assert "hrv_hf_ms2" not in short and "hrv_lf_ms2" not in short
    assert "hrv_hf_ms2" in medium and "hrv_lf_ms2" not in medium
    assert {"hrv_lf_ms2", "hrv_hf_ms2", "hrv_lf_hf"} <= long.keys()
    assert long["hrv_hf_ms2"] > 5 * long["hrv_lf_ms2"]  # 0.25 Hz modulation is HF


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(1, 4000), min_size=1, max_size=40), st.sampled_from(["ECG", "PPG"]))
def test_detector_output_independent_of_chunking(sizes, kind):
    x = _ECG if kind == "ECG" else _PPG
    fs = 250.0
    ts = np.arange(x.size) / fs
    detector = detector_for(kind, fs)
    parts, corrs, i = [], [], 0
    for n in sizes * (x.size // sum(sizes) + 1):
        if i >= x.size:
            break
        beats, corr = detector.update(ts[i : i + n], x[i : i + n])
        parts.append(beats)
        corrs.append(corr)
        i += n
    whole_beats, whole_corr = detector_for(kind, fs).update(ts, x)
    np.testing.assert_array_equal(np.concatenate(parts), whole_beats)
    np.testing.assert_allclose(np.concatenate(corrs), whole_corr, rtol=1e-9, atol=1e-12)
    assert whole_beats.size > 30


_ECG = nk.ecg_simulate(duration=60, sampling_rate=250, heart_rate=70, random_state=3)
_PPG = nk.ppg_simulate(duration=60, sampling_rate=250, heart_rate=70, random_state=3)


@settings(max_examples=10, deadline=None)
@given(st.lists(st.integers(20, 2000), min_size=1, max_size=20))
def test_extractor_streamed_equals_pure_function(sizes):
    """Streamed in random chunks, compute() = hrv_features on the beats that the batch
    detector finds in the same samples (everything received up to the window end)."""
    fs = 250.0
    ts = np.arange(_ECG.size) / fs
    extractor = HrvExtractor(spec("ECG", fs), HrvParams())
    i, k = 0, 0
    for t_end in (30.0, 45.0, 59.0):
        hi = int(np.searchsorted(ts, t_end, side="right"))
        while i < hi:
            n = sizes[k % len(sizes)]
            extractor.update(ts[i : min(i + n, hi)], _ECG[i : min(i + n, hi), None])
            i, k = min(i + n, hi), k + 1
        got = extractor.compute(Span(t_end - 25.0, t_end), "ecg")
        beats, corr = detector_for("ECG", fs).update(ts[:hi], _ECG[:hi])
        rri = np.diff(beats, prepend=np.nan) * 1000.0
        want = hrv_features(beats, rri, corr, t_end - 25.0, t_end, HrvParams(), "ecg")
        assert want.values and got.values.keys() == want.values.keys()
        for column, value in want.values.items():
            assert got.values[column] == pytest.approx(value, rel=1e-9)


@pytest.mark.parametrize("length_s", [120.0, 300.0])
def test_band_powers_recover_known_oscillations(length_s):
    """RR = 800 + 50 sin(2π·0.25 t) + 30 sin(2π·0.1 t) ms: HF power is the variance of the
    0.25 Hz part (1250 ms²), LF of the 0.1 Hz part (450 ms²)."""
    beat_ts, rri = [0.0], []
    while beat_ts[-1] < length_s:
        t = beat_ts[-1]
        rri.append(800 + 50 * np.sin(2 * np.pi * 0.25 * t) + 30 * np.sin(2 * np.pi * 0.1 * t))
        beat_ts.append(t + rri[-1] / 1000.0)
    ts, rr = np.array(beat_ts[1:]), np.array(rri)
    inside = ts <= length_s
    got = band_powers_ms2(ts[inside], rr[inside], length_s)
    assert got["hrv_hf_ms2"] == pytest.approx(1250.0, rel=0.03)
    assert got["hrv_lf_ms2"] == pytest.approx(450.0, rel=0.03)
    assert got["hrv_lf_hf"] == pytest.approx(450.0 / 1250.0, rel=0.05)


@pytest.mark.parametrize("length_s", [60.0, 120.0, 300.0])
def test_band_powers_equal_scipy_periodogram_on_real_beats(shared_data, length_s):
    """The same spline-resampled RR series of drive05's beats, every window of the first
    10 min: LF and HF power equal `scipy.signal.periodogram` (linear detrend, Hann taper)
    summed over each band's bins."""
    from scipy.signal import periodogram

    from emostream.features import kernels
    from emostream.features.hrv import HF_BAND_HZ, LF_BAND_HZ, LF_MIN_S, RESAMPLE_HZ

    ecg, fs = drive05_ecg(shared_data, 600.0)
    beats = detect_beats("ECG", np.arange(ecg.size) / fs, ecg, fs)
    rri = np.diff(beats) * 1000.0
    beats = beats[1:]
    lengths = set()
    for t_end in np.arange(length_s, 600.0, 7.0):
        inside = (beats > t_end - length_s) & (beats <= t_end)
        ts, rr = beats[inside], rri[inside]
        got = band_powers_ms2(ts, rr, length_s)
        t = np.arange(ts[0], ts[-1], 1.0 / RESAMPLE_HZ)
        series = kernels.natural_cubic_spline(ts, rr, t)
        f, psd = periodogram(series, RESAMPLE_HZ, window=np.hanning(t.size), detrend="linear")
        bands = {"hrv_hf_ms2": HF_BAND_HZ} | (
            {"hrv_lf_ms2": LF_BAND_HZ} if length_s >= LF_MIN_S else {}
        )
        assert got.keys() - {"hrv_lf_hf"} == bands.keys()
        for column, (lo_hz, hi_hz) in bands.items():
            want = psd[(f >= lo_hz) & (f < hi_hz)].sum() * (f[1] - f[0])
            assert got[column] == pytest.approx(want, rel=1e-9)
        lengths.add(t.size)
    assert len(lengths) > 3 and {n % 2 for n in lengths} == {0, 1}  # odd and even lengths
