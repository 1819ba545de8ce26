"""TEMP, ACC, EEG and RSP: streamed extractor = pure function on the window; EEG = scipy Welch
within 1% on real EEG and to rounding on every window of a stream; RSP rate close to NeuroKit2
on real belts."""

from __future__ import annotations

import warnings

import neurokit2 as nk
import numpy as np
import pytest
from scipy import signal

from emostream.features import eeg
from emostream.features.acc import AccExtractor, AccParams, acc_features
from emostream.features.eeg import BANDS_HZ, EegExtractor, EegParams, eeg_features
from emostream.features.rsp import RspExtractor, RspParams
from emostream.features.temp import TempExtractor, TempParams, temp_features

from .conftest import Span, neurokit_column, spec


def _stream_then_compute(extractor, ts, data, t_start, t_end):
    for i in range(0, ts.size, 37):
        extractor.update(ts[i : i + 37], data[i : i + 37])
    return extractor.compute(Span(t_start, t_end), "x")


def test_temp_streamed_equals_pure_and_slope():
    ts = np.arange(0, 120, 0.25)
    temp = 33.0 + 0.5 * ts / 60.0
    got = _stream_then_compute(
        TempExtractor(spec("TEMP", 4.0), TempParams()), ts, temp[:, None], 50, 110
    )
    assert got.values == temp_features(ts, temp, 50, 110, TempParams()).values
    assert got.values["temp_slope_c_per_min"] == pytest.approx(0.5)
    inside = (ts > 50) & (ts <= 110)
    assert got.values["temp_c"] == pytest.approx(temp[inside].mean())


def test_temp_off_skin_is_absent_with_reason():
    ts = np.arange(0, 60, 0.25)
    out = temp_features(ts, np.full(ts.size, 12.0), 0, 60, TempParams())
    assert out.values == {} and out.quality["temp"] == 0.0 and "temp" in out.reasons


def test_temp_contact_jumps_are_left_out_of_level_and_slope():
    ts = np.arange(0, 60, 0.25)
    temp = np.full(ts.size, 33.0)
    temp[100] = 33.5  # up 0.5 °C in 0.25 s and back: 2 °C/s, a contact artifact
    out = temp_features(ts, temp, 0, 60, TempParams())
    n = ts.size - 1  # the window is (0, 60]
    # the spike and the sample after it (the fall back) are both left out
    assert out.quality["temp"] == pytest.approx((n - 2) / n)
    assert out.values["temp_c"] == pytest.approx(33.0, abs=1e-12)
    assert out.values["temp_slope_c_per_min"] == pytest.approx(0.0, abs=1e-9)


def test_acc_streamed_equals_pure():
    rng = np.random.default_rng(0)
    ts = np.arange(0, 90, 1 / 32)
    xyz = rng.normal(0, 0.1, (ts.size, 3)) + np.array([0.0, 0.0, 1.0])
    got = _stream_then_compute(
        AccExtractor(spec("ACC", 32.0, "g", ("x", "y", "z")), AccParams()), ts, xyz, 20, 80
    )
    # the extractor slides sums from window to window: equal to the batch statistics to rounding
    assert got.values == pytest.approx(acc_features(ts, xyz, 20, 80, AccParams()).values, rel=1e-12)
    assert got.values["acc_magnitude_mean_g"] == pytest.approx(1.0, abs=0.02)
    assert not any(name.startswith(("acc_x", "acc_y", "acc_z")) for name in got.values)


def test_acc_per_axis_is_each_axis_mean_and_sd_over_the_window():
    rng = np.random.default_rng(1)
    ts = np.arange(0, 90, 1 / 32)
    xyz = rng.normal([0.3, -0.2, 0.9], [0.05, 0.1, 0.2], (ts.size, 3))
    xyz[100] = np.nan  # a dropped sample is left out, not propagated
    params = AccParams(per_axis=True)
    got = _stream_then_compute(
        AccExtractor(spec("ACC", 32.0, "g", ("x", "y", "z")), params), ts, xyz, 0, 60
    )
    assert got.values == pytest.approx(acc_features(ts, xyz, 0, 60, params).values, rel=1e-12)
    inside = xyz[(ts > 0) & (ts <= 60)]
    inside = inside[np.isfinite(inside).all(axis=1)]
    for k, axis in enumerate("xyz"):
        assert got.values[f"acc_{axis}_mean_g"] == pytest.approx(inside[:, k].mean())
        assert got.values[f"acc_{axis}_sd_g"] == pytest.approx(inside[:, k].std())


def test_eeg_band_powers_equal_scipy_welch_on_real_eeg(shared_data):
    # the source does not state the rate; the comparison does not depend on it
    fs = 128.0
    x = np.loadtxt(shared_data / "neurokit" / "eeg.txt")
    ts = np.arange(x.size) / fs
    channels = ("AF7", "AF8")
    data = np.column_stack((x, x[::-1]))
    extractor = EegExtractor(spec("EEG", fs, "microvolts", channels), EegParams(min_quality=0.0))
    out = _stream_then_compute(extractor, ts, data, 0.0, 30.0)
    assert (
        out.values
        == eeg_features(ts, data, channels, fs, 0.0, 30.0, EegParams(min_quality=0.0)).values
    )
    window = data[(ts > 0) & (ts <= 30.0)]
    f, psd = signal.welch(window - window.mean(axis=0), fs=fs, nperseg=256, axis=0)
    df = f[1] - f[0]
    total = psd[(f >= 1) & (f < 45)].sum(axis=0) * df
    for band, (lo, hi) in BANDS_HZ.items():
        expected = psd[(f >= lo) & (f < hi)].sum(axis=0) * df
        for i, ch in enumerate(("af7", "af8")):
            assert out.values[f"eeg_{band}_abs_{ch}"] == pytest.approx(expected[i], rel=0.01)
            assert out.values[f"eeg_{band}_rel_{ch}"] == pytest.approx(
                expected[i] / total[i], rel=0.01
            )
    alpha = psd[(f >= 8) & (f < 13)].sum(axis=0)
    assert out.values["eeg_faa"] == pytest.approx(np.log(alpha[1]) - np.log(alpha[0]), rel=0.01)
    assert "eeg_engagement" in out.values


@pytest.mark.parametrize("hop_s", [1.0, 0.5, 0.3])
def test_eeg_streamed_equals_scipy_welch_on_every_window(hop_s):
    """Windows on any hop grid, and a stream that lost samples (its segments no longer sit on
    whole seconds): each window's band powers are scipy's Welch on that window's samples."""
    fs = 256.0
    rng = np.random.default_rng(3)
    ts = np.delete(100.0 + np.arange(int(45 * fs)) / fs, np.s_[3000:3010])
    x = rng.normal(0, 5, (ts.size, 2)) + 8 * np.sin(2 * np.pi * 10 * ts)[:, None]
    channels = ("F3", "F4")
    params = EegParams(min_quality=0.0)
    extractor = EegExtractor(spec("EEG", fs, "microvolts", channels), params)
    fed, n_windows = 0, 0
    for t_end in np.arange(120.0, ts[-1], hop_s):
        hi = int(np.searchsorted(ts, t_end, side="right"))
        extractor.update(ts[fed:hi], x[fed:hi])
        fed = hi
        out = extractor.compute(Span(t_end - 20.0, t_end), "eeg").values
        assert out == eeg_features(ts, x, channels, fs, t_end - 20.0, t_end, params).values
        window = x[(ts > t_end - 20.0) & (ts <= t_end)]
        f, psd = signal.welch(window, fs=fs, nperseg=512, axis=0)
        total = psd[(f >= 1) & (f < 45)].sum(axis=0)
        for band, (lo, hi_hz) in BANDS_HZ.items():
            expected = psd[(f >= lo) & (f < hi_hz)].sum(axis=0)
            for i, ch in enumerate(("f3", "f4")):
                assert out[f"eeg_{band}_abs_{ch}"] == pytest.approx(expected[i] * (f[1] - f[0]))
                assert out[f"eeg_{band}_rel_{ch}"] == pytest.approx(expected[i] / total[i])
        n_windows += 1
    assert n_windows >= 24 / hop_s


def test_eeg_analyses_each_segment_once_on_a_whole_second_hop(monkeypatch):
    fs = 128.0
    ts = np.arange(int(90 * fs) + 1) / fs
    x = np.random.default_rng(4).normal(0, 5, (ts.size, 2))
    analysed = []
    segment_band_powers = eeg.segment_band_powers

    def counting(segments: np.ndarray, fs_hz: float) -> np.ndarray:
        analysed.append(segments.shape[0])
        return segment_band_powers(segments, fs_hz)

    monkeypatch.setattr(eeg, "segment_band_powers", counting)
    extractor = EegExtractor(spec("EEG", fs, "microvolts", ("F3", "F4")), EegParams())
    fed = 0
    for t_end in np.arange(30.0, 91.0, 1.0):
        hi = int(np.searchsorted(ts, t_end, side="right"))
        extractor.update(ts[fed:hi], x[fed:hi])
        fed = hi
        assert extractor.compute(Span(t_end - 30.0, t_end), "eeg").values
    # 2 s segments every second from (0, 2] to (88, 90]: 89 in all, each analysed once
    assert sum(analysed) == 89 and analysed[0] == 29 and set(analysed[1:]) == {1}


def test_eeg_line_noise_and_artifacts_lower_quality():
    fs = 256.0
    ts = np.arange(0, 30, 1 / fs)
    rng = np.random.default_rng(2)
    clean = rng.normal(0, 5, (ts.size, 2))
    channels = ("F3", "F4")
    good = eeg_features(ts, clean, channels, fs, 0, 30, EegParams())
    assert good.quality["eeg"] == 1.0 and "eeg_faa" in good.values
    hum = clean + 100 * np.sin(2 * np.pi * 50 * ts)[:, None]
    assert eeg_features(ts, hum, channels, fs, 0, 30, EegParams()).quality["eeg"] == 0.0
    blinks = clean.copy()
    blinks[:: int(fs)] += 500
    bad = eeg_features(ts, blinks, channels, fs, 0, 30, EegParams())
    assert bad.quality["eeg"] < 0.5 and bad.values == {}


@pytest.mark.parametrize("name", ["bio_resting_5min_100hz.csv", "bio_resting_8min_100hz.csv"])
def test_rsp_rate_close_to_neurokit(shared_data, name):
    x = neurokit_column(shared_data, name, "RSP")
    fs = 100.0
    ts = np.arange(x.size) / fs
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rate = nk.rsp_process(x, sampling_rate=fs)[0]["RSP_Rate"].to_numpy()
    extractor = RspExtractor(spec("RSP", fs), RspParams())
    diffs, fed = [], 0
    for t_end in np.arange(60.0, ts[-1], 10.0):
        hi = int(np.searchsorted(ts, t_end, side="right"))
        extractor.update(ts[fed:hi], x[fed:hi, None])
        fed = hi
        out = extractor.compute(Span(t_end - 60, t_end), "rsp").values
        inside = (ts > t_end - 60) & (ts <= t_end)
        if "rsp_rate_bpm" in out:
            diffs.append(out["rsp_rate_bpm"] - np.nanmean(rate[inside]))
    diffs = np.abs(diffs)
    print(
        f"{name}: RSP rate vs NeuroKit2, median |diff| {np.median(diffs):.2f} bpm over {diffs.size} windows"
    )
    assert diffs.size >= 15
    assert np.median(diffs) <= 1.5
