"""EEG against its documented definitions: each rhythm in its band, engagement = beta /
(alpha + theta) of scipy's Welch PSD, and the amplitude limit on peak-to-peak."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from emostream.features.eeg import EegParams, eeg_features

FS_HZ = 256.0
CHANNELS = ("F3", "F4")
#: the documented bands (Hz), written out so that the code's table is checked against them
DOCUMENTED_BANDS_HZ = {
    "delta": (1.0, 4.0),
    "theta": (4.0, 8.0),
    "alpha": (8.0, 13.0),
    "beta": (13.0, 30.0),
    "gamma": (30.0, 45.0),
}


def _noise(seconds: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    ts = np.arange(int(seconds * FS_HZ)) / FS_HZ
    return ts, np.random.default_rng(seed).normal(0, 0.5, (ts.size, len(CHANNELS)))


@pytest.mark.parametrize(
    ("band", "hz"),
    [(band, lo + 0.5) for band, (lo, _) in DOCUMENTED_BANDS_HZ.items()]
    + [(band, hi - 1.0) for band, (_, hi) in DOCUMENTED_BANDS_HZ.items()],
)
def test_a_rhythm_just_inside_a_band_edge_is_that_bands_power(band: str, hz: float):
    """A sine half a bin or more inside a documented edge (2 s segments: 0.5 Hz bins; the Hann
    taper spreads it over its neighbours) puts nearly all the 1–45 Hz power in its band."""
    ts, x = _noise(30.0)
    x += 20 * np.sin(2 * np.pi * hz * ts)[:, None]
    out = eeg_features(ts, x, CHANNELS, FS_HZ, 0.0, 30.0, EegParams(min_quality=0.0)).values
    for ch in ("f3", "f4"):
        assert out[f"eeg_{band}_rel_{ch}"] > 0.95, (band, hz, ch)


def test_engagement_is_beta_over_alpha_plus_theta_of_scipy_welch():
    """Pope et al. (1995): beta / (alpha + theta), each summed over all channels."""
    ts, x = _noise(30.0, seed=5)
    x += 3 * np.sin(2 * np.pi * 6 * ts)[:, None] + 2 * np.sin(2 * np.pi * 10 * ts)[:, None]
    x += 4 * np.sin(2 * np.pi * 20 * ts)[:, None] + 5 * np.sin(2 * np.pi * 2 * ts)[:, None]
    out = eeg_features(ts, x, CHANNELS, FS_HZ, 0.0, 30.0, EegParams(min_quality=0.0)).values
    window = x[(ts > 0.0) & (ts <= 30.0)]
    f, psd = signal.welch(window, fs=FS_HZ, nperseg=int(2 * FS_HZ), axis=0)

    def power(band: str) -> float:
        lo, hi = DOCUMENTED_BANDS_HZ[band]
        return float(psd[(f >= lo) & (f < hi)].sum())

    expected = power("beta") / (power("alpha") + power("theta"))
    assert out["eeg_engagement"] == pytest.approx(expected, rel=1e-9)


def test_an_electrode_offset_is_not_an_artifact():
    """The amplitude limit is on each 1 s epoch's peak-to-peak: a steady offset of several
    hundred µV (raw headband EEG is not centred) leaves clean EEG at full quality."""
    ts, x = _noise(30.0, seed=6)
    x = 5 * x + np.array([800.0, -650.0])
    out = eeg_features(ts, x, CHANNELS, FS_HZ, 0.0, 30.0, EegParams())
    assert out.quality["eeg"] == 1.0 and "eeg_faa" in out.values
