"""EEG band powers per channel (Welch), frontal alpha asymmetry, engagement, and quality.

Band powers integrate the Welch PSD of the window (2 s Hann segments, 50% overlap, each
segment's mean removed, as scipy's `welch`) over delta 1–4, theta 4–8, alpha 8–13, beta 13–30
and gamma 30–45 Hz; relative power divides by the 1–45 Hz total. FAA = ln(alpha right) −
ln(alpha left) on AF8/AF7 or F4/F3. Engagement = beta / (alpha + theta) over all channels
(Pope et al. 1995). Quality is the fraction of 1 s epochs (half a segment) within the
amplitude limit, zeroed when line noise dominates.

Segments and epochs start every half segment from the window's first sample, so windows on a
whole-second hop grid share them. A segment's band powers (its periodogram summed over each
band) and an epoch's count of clean channels are computed once, keyed by the absolute index of
their first sample; a window averages those inside it. The band powers of the averaged
periodogram equal the average of the segments' band powers, and the pure function takes the
same steps, so streamed and pure results are identical to the last bit.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.fft as sfft
from scipy import signal

from emostream.core.spec import StreamSpec
from emostream.features.base import MAX_HISTORY_S, Extractor, ExtractorOutput
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


@dataclass(frozen=True, slots=True)
class _Welch:
    """Welch geometry for one sample rate: sizes in samples, taper, density scale, bands."""

    n_segment: int
    step: int  # segment hop = epoch length
    taper: np.ndarray
    scale: np.ndarray  # 1 / (fs · Σ taper²), doubled except at DC and Nyquist (one-sided)
    df_hz: float
    #: frequency bins of BANDS_HZ, then of TOTAL_HZ, then of each line-noise band below Nyquist
    bands: tuple[slice, ...]


@functools.lru_cache(maxsize=8)
def _welch(fs_hz: float) -> _Welch:
    n = int(SEGMENT_S * fs_hz)
    taper = signal.get_window("hann", n)
    freqs_hz = sfft.rfftfreq(n, 1.0 / fs_hz)
    scale = np.full(freqs_hz.size, 2.0 / (fs_hz * np.dot(taper, taper)))
    scale[0] /= 2.0
    if n % 2 == 0:
        scale[-1] /= 2.0
    lines = [(hz - 2.0, hz + 2.0) for hz in LINE_HZ if hz + 2.0 < fs_hz / 2]
    bands = tuple(
        slice(*np.searchsorted(freqs_hz, edges, side="left"))
        for edges in (*BANDS_HZ.values(), TOTAL_HZ, *lines)
    )
    return _Welch(n, n - n // 2, taper, scale, float(freqs_hz[1] - freqs_hz[0]), bands)


def segment_band_powers(segments: np.ndarray, fs_hz: float) -> np.ndarray:
    """Band powers (segment × channel × band) in µV² of segments (segment × sample × channel).

    Each segment's periodogram (mean removed, Hann taper, one-sided density: scipy's Welch per
    segment) summed over the bins of BANDS_HZ, TOTAL_HZ and the line-noise bands; averaging
    them over a window's segments gives the band powers of its Welch PSD.
    """
    w = _welch(fs_hz)
    x = np.ascontiguousarray(segments.transpose(0, 2, 1))
    spec = sfft.rfft((x - x.mean(axis=-1, keepdims=True)) * w.taper, axis=-1)
    psd = (spec.real**2 + spec.imag**2) * w.scale
    return np.stack([psd[..., band].sum(axis=-1) for band in w.bands], axis=-1) * w.df_hz


def clean_channels(epochs: np.ndarray, max_amplitude_uv: float) -> np.ndarray:
    """Per epoch (epoch × sample × channel), the channels whose peak-to-peak is within limit."""
    ptp_uv = epochs.max(axis=1) - epochs.min(axis=1)
    return np.count_nonzero(ptp_uv <= max_amplitude_uv, axis=1)


def _absent() -> ExtractorOutput:
    return ExtractorOutput(
        quality={"eeg": 0.0},
        reasons={"eeg": "window shorter than one Welch segment or holds NaN"},
    )


def _summary(
    segment_powers: np.ndarray,
    n_clean: int,
    n_epochs: int,
    channels: tuple[str, ...],
    params: EegParams,
) -> ExtractorOutput:
    """Window features from its segments' band powers and the count of its clean epoch ×
    channel pairs."""
    out = ExtractorOutput()
    n_bands = len(BANDS_HZ)
    power = segment_powers.mean(axis=0)  # channel × band
    total, line = power[:, n_bands], power[:, n_bands + 1 :].sum(axis=1)
    noisy = np.any(line > params.max_line_ratio * total)
    quality = 0.0 if noisy else n_clean / (n_epochs * len(channels))
    out.quality["eeg"] = quality
    if quality < params.min_quality:
        out.reasons["eeg"] = f"quality_eeg {quality:.2f} < {params.min_quality:.2f}"
        return out
    v = out.values
    band_major = power[:, :n_bands].T.ravel().tolist()
    for (abs_name, rel_name), p, t in zip(
        _names(channels), band_major, total.tolist() * n_bands, strict=True
    ):
        v[abs_name] = p
        if t > 0:
            v[rel_name] = p / t
    alpha, theta, beta = (power[:, list(BANDS_HZ).index(b)] for b in ("alpha", "theta", "beta"))
    index = {ch.upper(): i for i, ch in enumerate(channels)}
    for right, left in FAA_PAIRS:
        if right in index and left in index:
            a_r, a_l = alpha[index[right]], alpha[index[left]]
            if a_r > 0 and a_l > 0:
                v["eeg_faa"] = float(np.log(a_r) - np.log(a_l))
            break
    denominator = float(np.sum(alpha) + np.sum(theta))
    if denominator > 0:
        v["eeg_engagement"] = float(np.sum(beta) / denominator)
    return out


@functools.lru_cache(maxsize=8)
def _names(channels: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """(absolute, relative) band-power feature names, band by band, channel by channel."""
    return tuple(
        (f"eeg_{band}_abs_{ch.lower()}", f"eeg_{band}_rel_{ch.lower()}")
        for band in BANDS_HZ
        for ch in channels
    )


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
    w = _welch(fs_hz)
    x = np.asarray(x_uv[in_window(timestamps, t_start, t_end)], dtype=np.float64)
    if x.shape[0] < w.n_segment or not np.all(np.isfinite(x)):
        return _absent()
    starts = np.arange(0, x.shape[0] - w.n_segment + 1, w.step)
    powers = segment_band_powers(x[starts[:, None] + np.arange(w.n_segment)], fs_hz)
    n_epochs = x.shape[0] // w.step
    epochs = x[: n_epochs * w.step].reshape(n_epochs, w.step, -1)
    n_clean = int(clean_channels(epochs, params.max_amplitude_uv).sum())
    return _summary(powers, n_clean, n_epochs, channels, params)


@register
class EegExtractor(Extractor):
    """Band powers, FAA and engagement from a multichannel EEG stream in µV."""

    name = "eeg"
    kinds = ("EEG",)
    Params = EegParams

    def __init__(self, spec: StreamSpec, params: EegParams, history_s: float = MAX_HISTORY_S):
        super().__init__(spec, params, history_s)
        self.reset()

    def reset(self) -> None:
        self._samples = history(self.spec.rate_hz, self.spec.n_channels, self.history_s)
        #: by absolute index of the first sample: segment band powers, epoch clean channels
        self._powers: dict[int, np.ndarray] = {}
        self._clean: dict[int, int] = {}

    def update(self, timestamps: np.ndarray, data: np.ndarray) -> None:
        self._samples.write(timestamps, data)

    def _cached(
        self,
        cache: dict[int, Any],
        starts: range,
        n_samples: int,
        analyse: Callable[[np.ndarray], Iterable[Any]],
    ) -> list[Any]:
        """Results for the pieces of `n_samples` starting at `starts`, analysing only new ones."""
        for old in [s for s in cache if s < starts.start]:
            del cache[old]
        new = np.array([s for s in starts if s not in cache], dtype=np.int64)
        if new.size:
            _, x = self._samples.gather(int(new[0]), int(new[-1]) + n_samples)
            pieces = x[(new - new[0])[:, None] + np.arange(n_samples)]
            cache.update(zip(new.tolist(), analyse(pieces), strict=True))
        return [cache[s] for s in starts]

    def compute(self, window: Window, key: str) -> ExtractorOutput:
        fs_hz, max_uv = self.spec.rate_hz, self.params.max_amplitude_uv
        w = _welch(fs_hz)
        bounds = np.array((window.t_start, window.t_end))
        lo, hi = self._samples.indices_at(bounds, side="right").tolist()
        if hi - lo < w.n_segment or self._samples.n_nonfinite(lo, hi):
            return _absent()
        powers = self._cached(
            self._powers,
            range(lo, hi - w.n_segment + 1, w.step),
            w.n_segment,
            lambda segments: segment_band_powers(segments, fs_hz),
        )
        clean = self._cached(
            self._clean,
            range(lo, hi - w.step + 1, w.step),
            w.step,
            lambda epochs: clean_channels(epochs, max_uv).tolist(),
        )
        return _summary(np.array(powers), sum(clean), len(clean), self.spec.channels, self.params)
