"""The NumPy Butterworth design and filter-state helpers equal scipy.signal's, and the streaming
filter built on them gives scipy's output in any chunking."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from emostream.features import iir
from emostream.features.dsp import SosFilter, butter_sos

#: (order, cut-off(s) Hz, sampling rate Hz, type) of every filter the extractors design
EXTRACTOR_DESIGNS = [
    (3, (0.5, 8.0), 64.0, "bandpass"),  # BVP beats (E4)
    (3, (0.5, 8.0), 130.0, "bandpass"),  # ECG beats (Polar H10)
    (3, (0.5, 8.0), 250.0, "bandpass"),
    (4, 3.0, 700.0, "lowpass"),  # EDA cleaning above 6 Hz
    (2, 1.0, 4.0, "lowpass"),  # EDA at 4 Hz (E4)
    (2, 0.05, 4.0, "highpass"),  # EDA phasic
    (2, 0.05, 700.0, "highpass"),
    (2, (0.05, 1.0), 25.0, "bandpass"),  # respiration
]

OTHER_DESIGNS = [
    (1, 0.1, 2.0, "lowpass"),
    (3, 0.3, 2.0, "highpass"),
    (5, 0.2, 2.0, "lowpass"),
    (4, (0.1, 0.4), 2.0, "bandpass"),
    (6, (0.01, 0.9), 2.0, "bandpass"),
    (8, 0.05, 2.0, "highpass"),
]


def _scipy_sos(order, cutoff, fs, btype):
    return signal.butter(order, cutoff, btype=btype, fs=fs, output="sos")


@pytest.mark.parametrize(("order", "cutoff", "fs", "btype"), EXTRACTOR_DESIGNS)
def test_extractor_designs_are_scipys(order, cutoff, fs, btype):
    want = _scipy_sos(order, cutoff, fs, btype)
    np.testing.assert_allclose(butter_sos(order, cutoff, fs, btype), want, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(("order", "cutoff", "fs", "btype"), EXTRACTOR_DESIGNS + OTHER_DESIGNS)
def test_every_design_has_scipys_transfer_function_and_output(order, cutoff, fs, btype):
    mine = butter_sos(order, cutoff, fs, btype)
    theirs = _scipy_sos(order, cutoff, fs, btype)
    for got, want in zip(iir.sos_to_tf(mine), signal.sos2tf(theirs), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12 * np.abs(want).max())
    x = np.random.default_rng(order).normal(0.0, 1.0, 4000)
    want = signal.sosfilt(theirs, x)
    np.testing.assert_allclose(signal.sosfilt(mine, x), want, atol=1e-9 * np.abs(want).max())


@pytest.mark.parametrize(("order", "cutoff", "fs", "btype"), EXTRACTOR_DESIGNS + OTHER_DESIGNS)
def test_initial_states_are_scipys(order, cutoff, fs, btype):
    sos = butter_sos(order, cutoff, fs, btype)
    np.testing.assert_allclose(iir.sosfilt_zi(sos), signal.sosfilt_zi(sos), rtol=1e-9, atol=1e-12)
    b, a = iir.sos_to_tf(sos)
    np.testing.assert_allclose(iir.lfilter_zi(b, a), signal.lfilter_zi(b, a), rtol=1e-9, atol=1e-9)


def test_sections_pair_conjugate_poles_and_keep_the_gain():
    z, p, k = iir.butter_zpk(5, np.array([0.2]), "lowpass")
    sos = iir.zpk_to_sos(z, p, k)
    poles = np.concatenate([np.roots(s[3:]) for s in sos])
    np.testing.assert_allclose(np.sort_complex(poles[poles != 0]), np.sort_complex(p), atol=1e-12)
    # unit gain at DC, as a low-pass must have
    b, a = iir.sos_to_tf(sos)
    assert b.sum() / a.sum() == pytest.approx(1.0, rel=1e-12)


@pytest.mark.parametrize(("order", "cutoff", "fs", "btype"), EXTRACTOR_DESIGNS)
@pytest.mark.parametrize("chunk", [1, 7, 256])
def test_streaming_filter_is_scipys_in_any_chunking(order, cutoff, fs, btype, chunk):
    sos = butter_sos(order, cutoff, fs, btype)
    x = 5.0 + np.random.default_rng(chunk).normal(0.0, 1.0, 3000).cumsum() * 0.01
    want = signal.sosfilt(sos, x, zi=signal.sosfilt_zi(sos) * x[0])[0]
    f = SosFilter(sos)
    got = np.concatenate([f(x[i : i + chunk]) for i in range(0, x.size, chunk)])
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9)
