"""Voice prosody and quality per window: activity, F0, intensity, jitter, shimmer, HNR, rate.

The math follows Praat (Boersma 1993): short-time autocorrelation of a Hann-windowed frame,
divided by the window's own autocorrelation, gives the periodicity `r` at each candidate lag;
the best lag is the pitch period and `10·log10(r / (1 − r))` the harmonics-to-noise ratio.
Glottal pulses for jitter and shimmer are waveform peaks chained one period apart; a pulse's
amplitude is Praat's, the Hann-windowed RMS over a fifth of the periods on either side.

Frames sit on a fixed grid of the stream clock (centres at multiples of `frame_step_s`) and
each depends only on the samples of its own support, so the streaming extractor (frames
computed once as samples arrive, their results kept) equals the pure function on a window
exactly. A window's features aggregate the stored frames whose whole support lies inside the
window, without reading its audio (only the optional eGeMAPS functionals do). Frames below
the silence level skip the pitch analysis. Silence and noise have no voiced frames: every
feature except the activity ratio is then absent.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import ClassVar

import numpy as np
import scipy.fft as sfft
from numpy.lib.stride_tricks import sliding_window_view
from scipy.signal import find_peaks

from emostream.config import FieldError, check_range
from emostream.core.ring import RingBuffer
from emostream.core.spec import StreamSpec
from emostream.errors import ConfigError, StreamError
from emostream.features import kernels
from emostream.features.base import MAX_HISTORY_S, Extractor, ExtractorOutput
from emostream.features.common import CommonParams
from emostream.features.registry import register
from emostream.windowing import Window

#: a frame's samples may span at most this many nominal sample periods more than expected
GAP_TOLERANCE_SAMPLES = 2.5
#: periodicity cap: HNR tops out at 40 dB
R_MAX = 0.9999


@dataclass(frozen=True)
class VoiceParams(CommonParams):
    f0_min_hz: float = 75.0
    f0_max_hz: float = 600.0
    frame_step_s: float = 0.01
    #: periodicity (0..1) a frame needs to count as voiced (Praat's default)
    voicing_threshold: float = 0.45
    #: Praat's octave cost: favours the higher of two similar candidates (no octave-down errors)
    octave_cost: float = 0.01
    #: candidates within this much periodicity of the best count as equal (→ shortest period)
    octave_margin: float = 0.1
    #: the periodicity peak must rise this far above the lowest value at shorter lags
    min_dip: float = 0.7
    #: frames quieter than this are silence, whatever their periodicity
    silence_dbfs: float = -50.0
    #: voiced frames this far below the window's loudest frame count as silence (Praat's
    #: silence threshold is 30 dB below the sound's peak)
    relative_silence_db: float = 25.0
    #: less voiced time than this in a window → voice features absent
    min_voiced_s: float = 0.25
    #: Praat's jitter/shimmer rules: shortest/longest period, max period and amplitude ratio
    min_period_s: float = 0.0001
    max_period_s: float = 0.02
    max_period_factor: float = 1.3
    max_amplitude_factor: float = 1.6
    #: an intensity peak must rise this much above its surroundings to count as a syllable
    syllable_prominence_db: float = 2.0
    #: audio channel to analyse
    channel: int = 0
    #: add the eGeMAPS v02 functionals (opensmile) computed on the window's audio
    egemaps: bool = False

    def __post_init__(self) -> None:
        CommonParams.__post_init__(self)
        # frame and lag buffers are sized from these
        check_range("f0_min_hz", self.f0_min_hz, 20.0, 1000.0)
        check_range("f0_max_hz", self.f0_max_hz, 20.0, 4000.0)
        if self.f0_min_hz >= self.f0_max_hz:
            raise FieldError("f0_max_hz", "must be above f0_min_hz")
        check_range("frame_step_s", self.frame_step_s, 0.001, 1.0)
        check_range("channel", self.channel, 0, 1023)


@dataclass(frozen=True, slots=True)
class VoiceFrames:
    """Per-frame analysis; jitter/shimmer sums cover the pulses inside the frame's own hop."""

    t_center: np.ndarray
    t_lo: np.ndarray  # first sample of the frame's support
    t_hi: np.ndarray  # last sample of the frame's support
    level_dbfs: np.ndarray
    voiced: np.ndarray
    f0_hz: np.ndarray  # NaN when unvoiced
    hnr_db: np.ndarray  # NaN when unvoiced
    period_sum_s: np.ndarray
    period_n: np.ndarray
    period_diff_sum_s: np.ndarray
    period_diff_n: np.ndarray
    amp_sum: np.ndarray
    amp_n: np.ndarray
    amp_diff_sum: np.ndarray
    amp_diff_n: np.ndarray

    def __len__(self) -> int:
        return int(self.t_center.shape[0])

    def select(self, keep: np.ndarray | slice) -> VoiceFrames:
        return VoiceFrames(*(getattr(self, f.name)[keep] for f in fields(self)))

    def matrix(self) -> np.ndarray:
        """Every field but `t_center`, one column each (for a RingBuffer row)."""
        return np.column_stack([getattr(self, f.name) for f in fields(self)[1:]])

    @classmethod
    def from_rows(cls, t_center: np.ndarray, matrix: np.ndarray) -> VoiceFrames:
        return cls(t_center, *matrix.T)

    @classmethod
    def empty(cls) -> VoiceFrames:
        return cls(*(np.zeros(0) for _ in fields(cls)))


@dataclass(frozen=True, slots=True)
class _Geometry:
    """Frame sizes in samples for one sample rate."""

    fs_hz: float
    n_window: int  # pitch analysis window: 3 periods of f0_min (Praat, Hann)
    half_support: int  # samples each side of the centre a frame may read
    lag_min: int
    lag_max: int
    n_fft: int
    window32: np.ndarray
    window_ac: np.ndarray  # normalised autocorrelation of the window

    @classmethod
    def of(cls, fs_hz: float, p: VoiceParams) -> _Geometry:
        n_window = 2 * math.ceil(1.5 * fs_hz / p.f0_min_hz)
        lag_max = math.ceil(fs_hz / p.f0_min_hz)
        lag_min = max(2, math.floor(fs_hz / p.f0_max_hz))
        hop_half = math.ceil(p.frame_step_s * fs_hz / 2)
        # pulses inside the hop are chained from an anchor up to 1.2 periods outside it
        pulse_reach = hop_half + math.ceil(3.0 * fs_hz / p.f0_min_hz) + 2
        half_support = max(n_window // 2, pulse_reach)
        # long enough that lags up to lag_max + 1 do not wrap around
        n_fft = sfft.next_fast_len(n_window + lag_max + 2, real=True)
        window = np.hanning(n_window + 2)[1:-1]
        wac = sfft.irfft(np.abs(sfft.rfft(window, n_fft)) ** 2, n_fft)[: lag_max + 2]
        return cls(fs_hz, n_window, half_support, lag_min, lag_max, n_fft, window, wac / wac[0])


@functools.lru_cache(maxsize=16)
def _geometry(fs_hz: float, p: VoiceParams) -> _Geometry:
    return _Geometry.of(fs_hz, p)


def frame_centers(ts: np.ndarray, step_s: float) -> np.ndarray:
    """Grid times (multiples of `step_s`) inside the span of `ts`."""
    if ts.size == 0:
        return np.zeros(0)
    k0 = math.ceil(ts[0] / step_s - 1e-9)
    k1 = math.floor(ts[-1] / step_s + 1e-9)
    return np.arange(k0, k1 + 1) * step_s


def voice_frames(
    ts: np.ndarray, x: np.ndarray, fs_hz: float, p: VoiceParams, t_after: float = -np.inf
) -> VoiceFrames:
    """Analyse every grid frame whose support lies inside `x` (and whose centre is > t_after)."""
    geo = _geometry(fs_hz, p)
    x = np.asarray(x, dtype=np.float64)
    centers_t = frame_centers(ts, p.frame_step_s)
    centers_t = centers_t[centers_t > t_after]
    c = np.searchsorted(ts, centers_t)
    h = geo.half_support
    ok = (c - h >= 0) & (c + h <= ts.size)
    c, centers_t = c[ok], centers_t[ok]
    if c.size:
        span_s = ts[c + h - 1] - ts[c - h]
        ok = span_s <= (2 * h - 1 + GAP_TOLERANCE_SAMPLES) / fs_hz
        c, centers_t = c[ok], centers_t[ok]
    n = c.size
    if n == 0:
        return VoiceFrames.empty()
    half_w = geo.n_window // 2
    seg = sliding_window_view(x.astype(np.float32), geo.n_window)[c - half_w]
    seg -= seg.mean(axis=1, keepdims=True)
    rms = np.sqrt(np.einsum("ij,ij->i", seg, seg, dtype=np.float64) / seg.shape[1])
    level_dbfs = 20 * np.log10(np.maximum(rms, 1e-12))
    voiced = np.zeros(n, dtype=bool)
    f0, hnr = np.full(n, np.nan), np.full(n, np.nan)
    pulses = np.zeros((n, 8))
    # frames quieter than silence are unvoiced whatever their periodicity: no pitch analysis
    loud = np.flatnonzero(level_dbfs > p.silence_dbfs)
    if loud.size:
        r_peak, period, periodic = _periodicity(seg[loud], geo, p)
        v = loud[periodic]
        voiced[v] = True
        f0[v] = fs_hz / period[periodic]
        hnr[v] = 10 * np.log10(r_peak[periodic] / (1 - r_peak[periodic]))
        if v.size:
            pulses[v] = _pulse_sums(x, c[v], period[periodic], h, fs_hz, p)
    return VoiceFrames(centers_t, ts[c - h], ts[c + h - 1], level_dbfs, voiced, f0, hnr, *pulses.T)


def _periodicity(
    seg: np.ndarray, geo: _Geometry, p: VoiceParams
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Peak periodicity, period (samples) and voicing of mean-removed frames (frame × sample).

    Praat's autocorrelation method: the Hann-windowed frame's autocorrelation divided by the
    window's own; of the peaks, the best by periodicity less an octave cost, then the shortest
    period that divides it and scores nearly as high.
    """
    n = seg.shape[0]
    padded = np.zeros((n, geo.n_fft), dtype=np.float32)
    np.multiply(seg, geo.window32, out=padded[:, : geo.n_window])
    spec = sfft.rfft(padded, axis=1)
    power = spec.real**2 + spec.imag**2
    ac = sfft.irfft(power, geo.n_fft, axis=1)[:, : geo.lag_max + 2].astype(np.float64)
    energy = ac[:, :1]
    safe = np.where(energy > 0, energy, 1.0)
    r = ac / safe / geo.window_ac[None, :]
    lags = np.arange(geo.lag_min, geo.lag_max)
    mid = r[:, lags]
    is_peak = (mid > r[:, lags - 1]) & (mid >= r[:, lags + 1])
    # the window correction inflates noise at long lags: cap r at 1 before ranking candidates
    octave_cost = p.octave_cost * np.log2(p.f0_min_hz * lags / geo.fs_hz)
    score = np.where(is_peak, np.minimum(mid, 1.0) - octave_cost[None, :], -np.inf)
    top = score.max(axis=1, keepdims=True)
    # a multiple of the period scores as high as the period itself: of the candidates whose
    # lag divides the best lag (within 10 %) and that score nearly as high, take the shortest
    ratio = lags[np.argmax(score, axis=1)][:, None] / lags[None, :]
    divides = np.abs(ratio - np.rint(ratio)) < 0.1
    best = np.argmax(is_peak & divides & (score >= top - p.octave_margin), axis=1)
    rows = np.arange(n)
    lag = lags[best]
    y0, y1, y2 = r[rows, lag - 1], r[rows, lag], r[rows, lag + 1]
    denom = y0 - 2 * y1 + y2
    shift = np.where(denom < 0, 0.5 * (y0 - y2) / np.where(denom < 0, denom, -1.0), 0.0)
    r_peak = y1 - 0.25 * (y0 - y2) * shift
    # as Praat: a periodicity over 1 (the window correction on a short window) is reflected
    r_peak = np.minimum(np.where(r_peak > 1.0, 1.0 / r_peak, r_peak), R_MAX)
    # a true period shows a deep dip before the peak; slowly decaying (low-pass) noise does not
    dip = np.minimum.accumulate(r[:, 1:], axis=1)[rows, lag - 1]
    periodic = (
        np.isfinite(top[:, 0])
        & (energy[:, 0] > 0)
        & (r_peak >= p.voicing_threshold)
        & (r_peak - dip >= p.min_dip)
    )
    return r_peak, lag + shift, periodic


def _pulse_sums(
    x: np.ndarray,
    c: np.ndarray,
    period: np.ndarray,
    half_support: int,
    fs_hz: float,
    p: VoiceParams,
) -> np.ndarray:
    """Jitter/shimmer sums (n, 8) for the periods starting inside each voiced frame's hop.

    Pulses are waveform maxima chained one period apart (search ±20 % of a period, Praat's
    "peaks" method) from the largest peak 2 periods before the hop; a period belongs to the
    frame whose hop holds its start, so the frames of a window count every period once.
    Columns: period sum, periods, |Δperiod| sum, period pairs, amplitude sum, amplitudes,
    |Δamplitude| sum, amplitude pairs (a compiled loop, `kernels.pulse_sums`).
    """
    hop_half = p.frame_step_s * fs_hz / 2
    # enough one-period steps to pass the end of the hop from 2 periods before its start
    n_steps = int(np.ceil(2 * hop_half / period.min())) + 5
    limits = np.array((p.min_period_s, p.max_period_s, p.max_period_factor, p.max_amplitude_factor))
    return kernels.pulse_sums(
        np.ascontiguousarray(x, dtype=np.float64),
        np.ascontiguousarray(c, dtype=np.int64),
        np.ascontiguousarray(period, dtype=np.float64),
        int(half_support),
        float(hop_half),
        n_steps,
        float(fs_hz),
        limits,
    )


def voice_summary(frames: VoiceFrames, p: VoiceParams) -> tuple[dict[str, float], str | None]:
    """Window features from its frames, and the reason when the voice features are absent."""
    if len(frames) == 0:
        return {}, "no complete audio frame in the window"
    voiced = frames.voiced.astype(bool)
    if voiced.any():  # like Praat's silence threshold, relative to the window's loudest frame
        voiced &= frames.level_dbfs > frames.level_dbfs[voiced].max() - p.relative_silence_db
    values = {"voice_activity_ratio": float(np.mean(voiced))}
    voiced_s = np.count_nonzero(voiced) * p.frame_step_s
    if voiced_s < p.min_voiced_s:
        return values, f"voiced {voiced_s:.2f} s < {p.min_voiced_s:.2f} s"
    f0 = _fold_octaves(frames.f0_hz[voiced])
    lo, hi = np.percentile(f0, [5.0, 95.0])
    values["voice_f0_mean_hz"] = float(np.mean(f0))
    values["voice_f0_sd_hz"] = float(np.std(f0))
    values["voice_f0_range_hz"] = float(hi - lo)
    power = 10 ** (frames.level_dbfs[voiced] / 10)
    values["voice_intensity_dbfs"] = float(10 * np.log10(np.mean(power)))
    values["voice_hnr_db"] = float(np.mean(frames.hnr_db[voiced]))
    sums = {
        f.name: float(getattr(frames, f.name)[voiced].sum())
        for f in fields(frames)
        if f.name.startswith(("period_", "amp_"))
    }
    if sums["period_diff_n"] > 0 and sums["period_n"] > 0:
        mean_period = sums["period_sum_s"] / sums["period_n"]
        values["voice_jitter_pct"] = (
            100 * sums["period_diff_sum_s"] / sums["period_diff_n"] / mean_period
        )
    if sums["amp_diff_n"] > 0 and sums["amp_n"] > 0:
        mean_amp = sums["amp_sum"] / sums["amp_n"]
        values["voice_shimmer_pct"] = 100 * sums["amp_diff_sum"] / sums["amp_diff_n"] / mean_amp
    values["voice_speech_rate_hz"] = _syllable_rate_hz(frames, voiced, p)
    return values, None


def _fold_octaves(f0_hz: np.ndarray) -> np.ndarray:
    """Put frames locked on a multiple or a fraction of the window's median F0 back onto it,
    and drop frames still more than an octave away from it.

    Single frames are analysed alone (no path search across frames as in Praat), so a few lock
    on 2·F0, 3·F0 or F0/2 (divided or multiplied back when within 10 % of such a ratio) or on
    a strong first formant (dropped: speech stays within an octave of its median).
    """
    median = np.median(f0_hz)
    ratio = f0_hz / median
    up = np.maximum(np.round(ratio), 1.0)
    down = np.maximum(np.round(1.0 / ratio), 1.0)
    out = np.where(np.abs(ratio / up - 1) < 0.1, f0_hz / up, f0_hz)
    out = np.where((down > 1) & (np.abs(ratio * down - 1) < 0.1), f0_hz * down, out)
    return out[np.abs(np.log2(out / median)) <= 1.0]


def _syllable_rate_hz(frames: VoiceFrames, voiced: np.ndarray, p: VoiceParams) -> float:
    """Speech-rate proxy: voiced intensity peaks (syllable nuclei, de Jong & Wempe 2009) per s."""
    level = np.where(voiced, frames.level_dbfs, p.silence_dbfs - 20.0)
    min_gap = max(1, round(0.1 / p.frame_step_s))
    peaks, _ = find_peaks(level, prominence=p.syllable_prominence_db, distance=min_gap)
    peaks = peaks[voiced[peaks]]
    duration_s = len(frames) * p.frame_step_s
    return float(peaks.size / duration_s)


def egemaps_functionals(x: np.ndarray, fs_hz: float) -> dict[str, float]:
    """The 88 eGeMAPS v02 functionals of one stretch of audio, as `voice_egemaps_<name>`."""
    import opensmile

    smile = _egemaps_engine(opensmile)
    table = smile.process_signal(np.asarray(x, dtype=np.float32), fs_hz)
    row = table.iloc[0]
    return {f"voice_egemaps_{k}": float(v) for k, v in row.items() if np.isfinite(v)}


_ENGINE: dict[str, object] = {}


def _egemaps_engine(opensmile):
    if "egemaps" not in _ENGINE:
        _ENGINE["egemaps"] = opensmile.Smile(
            feature_set=opensmile.FeatureSet.eGeMAPSv02,
            feature_level=opensmile.FeatureLevel.Functionals,
        )
    return _ENGINE["egemaps"]


def voice_features(ts: np.ndarray, x: np.ndarray, fs_hz: float, p: VoiceParams) -> ExtractorOutput:
    """Pure function: the voice features of one window's audio samples."""
    return _output(voice_frames(ts, x, fs_hz, p), p, lambda: x, fs_hz)


def _output(
    frames: VoiceFrames, p: VoiceParams, audio: Callable[[], np.ndarray], fs_hz: float
) -> ExtractorOutput:
    """Features of a window's frames; `audio()` (the window's samples) only for eGeMAPS."""
    values, reason = voice_summary(frames, p)
    out = ExtractorOutput(values=values)
    if reason is not None:
        out.reasons["voice"] = reason
    elif p.egemaps:
        out.values.update(egemaps_functionals(audio(), fs_hz))
    return out


@register
class VoiceExtractor(Extractor):
    """Streams audio into grid frames once, keeping `history_s` of them; a window aggregates
    the frames inside it."""

    name: ClassVar[str] = "voice"
    kinds: ClassVar[tuple[str, ...]] = ("Audio",)
    Params: ClassVar[type[VoiceParams]] = VoiceParams

    def __init__(self, spec: StreamSpec, params: VoiceParams, history_s: float = MAX_HISTORY_S):
        super().__init__(spec, params, history_s)
        if spec.is_irregular or params.channel >= spec.n_channels:
            raise ConfigError(
                f"stream '{spec.name}' needs a regular rate and a channel {params.channel} "
                f"(it has {spec.n_channels} at {spec.rate_hz} Hz)",
                key="features.voice.channel",
            )
        if spec.rate_hz < 2 * params.f0_max_hz:
            raise StreamError(
                f"stream '{spec.name}' at {spec.rate_hz:g} Hz is too slow for voice analysis: "
                f"it needs at least {2 * params.f0_max_hz:g} Hz (twice f0_max_hz); record "
                "speech at 8 kHz or more"
            )
        self.fs_hz = spec.rate_hz
        kernels.warm_up()
        self.reset()

    def reset(self) -> None:
        self._ts = np.zeros(0)
        self._x = np.zeros(0)
        self._last_center = -np.inf
        n_fields = len(fields(VoiceFrames)) - 1
        capacity = int(self.history_s / self.params.frame_step_s) + 64
        self._frames = RingBuffer(capacity, n_fields)

    def update(self, timestamps: np.ndarray, data: np.ndarray) -> None:
        if timestamps.size == 0:
            return
        p: VoiceParams = self.params
        self._ts = np.concatenate((self._ts, timestamps))
        self._x = np.concatenate((self._x, np.asarray(data[:, p.channel], dtype=np.float64)))
        frames = voice_frames(self._ts, self._x, self.fs_hz, p, t_after=self._last_center)
        if len(frames):
            self._frames.write(frames.t_center, frames.matrix())
            self._last_center = float(frames.t_center[-1])
        # keep what the next uncomputed frame needs (a little more than one support)
        keep = 2 * _geometry(self.fs_hz, p).half_support + int(p.frame_step_s * self.fs_hz) + 4
        if self._ts.size > keep:
            self._ts, self._x = self._ts[-keep:], self._x[-keep:]

    def compute(self, window: Window, key: str) -> ExtractorOutput:
        frames = VoiceFrames.from_rows(*self._frames.between(window.t_start, window.t_end))
        # supports inside the window: t_lo and t_hi grow with the frame centre
        first = int(np.searchsorted(frames.t_lo, window.t_start, side="right"))
        last = int(np.searchsorted(frames.t_hi, window.t_end, side="right"))
        channel = self.params.channel
        return _output(
            frames.select(slice(first, max(first, last))),
            self.params,
            lambda: window.streams[key].data[:, channel],
            self.fs_hz,
        )
