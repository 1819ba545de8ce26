"""EEG band powers per channel (Welch), frontal alpha asymmetry, engagement, and quality.

Band powers integrate the Welch PSD of the window (2 s Hann segments, 50% overlap) over
delta 1–4, theta 4–8, alpha 8–13, beta 13–30 and gamma 30–45 Hz; relative power divides by
the 1–45 Hz total. FAA = ln(alpha right) − ln(alpha left) on AF8/AF7 or F4/F3. Engagement =
beta / (alpha + theta) over all channels (Pope et al. 1995). Quality is the fraction of 1 s
epochs within the amplitude limit, zeroed when line noise dominates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal

from emostream.core.spec import StreamSpec
from emostream.features.base import Extractor, ExtractorOutput
from emostream.features.common import CommonParams, in_window
from emostream.features.dsp import history
from emostream.features.registry import register
from emostream.windowing import Window

BANDS_HZ: dict[str, tuple[float, float]] = {
    "delta": (1.0, 4.0),
    "theta": (4.0, 8.0),
    "alpha": (8.0, 13.0),
    "beta": (13.0, 30.0),
    "gamma": (30.0, 45.0),
}
TOTAL_HZ = (1.0, 45.0)
SEGMENT_S = 2.0
#: (right, left) channel pairs for frontal alpha asymmetry, in order of preference
FAA_PAIRS = (("AF8", "AF7"), ("F4", "F3"))
LINE_HZ = (50.0, 60.0)


@dataclass(frozen=True)
class EegParams(CommonParams):
    """`max_amplitude_uv`: peak-to-peak above this in a 1 s epoch is an artifact;
    `max_line_ratio`: line-noise power / 1–45 Hz power above this → quality 0."""

    max_amplitude_uv: float = 200.0
    max_line_ratio: float = 1.0


def band_powers(x: np.ndarray, fs_hz: float) -> tuple[np.ndarray, np.ndarray]:
    """Welch PSD of `x` (samples × channels): (freqs, psd[freq, channel]) in µV²/Hz."""
    nperseg = min(x.shape[0], int(SEGMENT_S * fs_hz))
    return signal.welch(x, fs=fs_hz, nperseg=nperseg, noverlap=nperseg // 2, axis=0)


def _integrate(f: np.ndarray, psd: np.ndarray, band: tuple[float, float]) -> np.ndarray:
    sel = (f >= band[0]) & (f < band[1])
    return psd[sel].sum(axis=0) * (f[1] - f[0])


def eeg_quality(
    x: np.ndarray, fs_hz: float, f: np.ndarray, psd: np.ndarray, params: EegParams
) -> float:
    """Fraction of clean 1 s epochs over all channels, 0 when line noise dominates."""
    n = int(fs_hz)
    n_epochs = x.shape[0] // n
    if not n_epochs:
        return 0.0
    epochs = x[: n_epochs * n].reshape(n_epochs, n, -1)
    clean = np.ptp(epochs, axis=1) <= params.max_amplitude_uv
    total = _integrate(f, psd, TOTAL_HZ)
    line = sum(_integrate(f, psd, (hz - 2.0, hz + 2.0)) for hz in LINE_HZ if hz + 2.0 < fs_hz / 2)
    if np.any(line > params.max_line_ratio * total):
        return 0.0
    return float(np.mean(clean))


def eeg_features(
    timestamps: np.ndarray,
    x_uv: np.ndarray,
    channels: tuple[str, ...],
    fs_hz: float,
    t_start: float,
    t_end: float,
    params: EegParams,
) -> ExtractorOutput:
    """Absolute (µV²) and relative band powers per channel, FAA and engagement of a window."""
    out = ExtractorOutput()
    x = x_uv[in_window(timestamps, t_start, t_end)]
    if x.shape[0] < int(SEGMENT_S * fs_hz) or not np.all(np.isfinite(x)):
        out.quality["eeg"] = 0.0
        out.reasons["eeg"] = "window shorter than one Welch segment or holds NaN"
        return out
    x = x - x.mean(axis=0)
    f, psd = band_powers(x, fs_hz)
    quality = eeg_quality(x, fs_hz, f, psd, params)
    out.quality["eeg"] = quality
    if quality < params.min_quality:
        out.reasons["eeg"] = f"quality_eeg {quality:.2f} < {params.min_quality:.2f}"
        return out
    total = _integrate(f, psd, TOTAL_HZ)
    power = {band: _integrate(f, psd, edges) for band, edges in BANDS_HZ.items()}
    v = out.values
    for band, p in power.items():
        for i, ch in enumerate(channels):
            v[f"eeg_{band}_abs_{ch.lower()}"] = float(p[i])
            if total[i] > 0:
                v[f"eeg_{band}_rel_{ch.lower()}"] = float(p[i] / total[i])
    index = {ch.upper(): i for i, ch in enumerate(channels)}
    for right, left in FAA_PAIRS:
        if right in index and left in index:
            a_r, a_l = power["alpha"][index[right]], power["alpha"][index[left]]
            if a_r > 0 and a_l > 0:
                v["eeg_faa"] = float(np.log(a_r) - np.log(a_l))
            break
    denominator = float(np.sum(power["alpha"]) + np.sum(power["theta"]))
    if denominator > 0:
        v["eeg_engagement"] = float(np.sum(power["beta"]) / denominator)
    return out


@register
class EegExtractor(Extractor):
    """Band powers, FAA and engagement from a multichannel EEG stream in µV."""

    name = "eeg"
    kinds = ("EEG",)
    Params = EegParams

    def __init__(self, spec: StreamSpec, params: EegParams):
        super().__init__(spec, params)
        self.reset()

    def reset(self) -> None:
        self._samples = history(self.spec.rate_hz, self.spec.n_channels)

    def update(self, timestamps: np.ndarray, data: np.ndarray) -> None:
        self._samples.write(timestamps, data)

    def compute(self, window: Window, key: str) -> ExtractorOutput:
        ts, data = self._samples.between(window.t_start, window.t_end)
        return eeg_features(
            ts,
            data,
            self.spec.channels,
            self.spec.rate_hz,
            window.t_start,
            window.t_end,
            self.params,
        )
