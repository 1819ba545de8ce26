"""Vectorised synthetic physiology.

An event timeline (beat times, breathing phase, SCR onsets, slow drifts) is drawn once for the
whole session; each stream is then rendered block by block from it. Rendering is chunk
invariant: every stream has its own random generator and causal filter state, so rendering
n samples at once or in any split gives identical output.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal

from emostream.synth.protocol import Protocol

GRID_HZ = 20.0
EEG_CHANNELS = ("TP9", "AF7", "AF8", "TP10")


@dataclass(frozen=True, slots=True)
class Timeline:
    """Session-level events that every stream is rendered from."""

    protocol: Protocol
    total_s: float
    grid_t_s: np.ndarray
    resp_phase_cycles: np.ndarray
    beat_t_s: np.ndarray
    scr_onset_s: np.ndarray
    scr_amp_us: np.ndarray
    scl_us: np.ndarray
    temp_c: np.ndarray
    #: EEG set-points (alpha_uv, beta_uv, faa) on the grid
    eeg_setpoints: dict[str, np.ndarray]

    def on_grid(self, values: np.ndarray, t_s: np.ndarray) -> np.ndarray:
        return np.interp(t_s, self.grid_t_s, values)


def _smooth_walk(rng: np.random.Generator, n: int, sd: float, tau_s: float) -> np.ndarray:
    """Slow wander with standard deviation ~`sd` on the grid: an Ornstein-Uhlenbeck process,
    low-passed again over a quarter of its time constant so it has no fast wiggles (O(n))."""
    a = np.exp(-1.0 / (tau_s * GRID_HZ))
    noise = rng.standard_normal(n) * sd * np.sqrt(1 - a * a)
    walk = signal.lfilter([1.0], [1.0, -a], noise)
    smooth = np.exp(-4.0 / (tau_s * GRID_HZ))
    return signal.lfilter([1.0 - smooth], [1.0, -smooth], walk, zi=[smooth * walk[0]])[0]


def make_timeline(protocol: Protocol, total_s: float, seed: int) -> Timeline:
    """Draw beats, breathing, SCRs and slow drifts for `total_s` seconds of `protocol`."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
    n = int(np.ceil(total_s * GRID_HZ)) + 2
    grid = np.arange(n) / GRID_HZ
    sp = lambda attr: protocol.setpoint(attr, grid, total_s)  # noqa: E731

    rsp_bpm = sp("rsp_rate_bpm") * (1 + _smooth_walk(rng, n, 0.06, 20.0))
    resp_phase = np.cumsum(rsp_bpm / 60.0) / GRID_HZ

    # Beats: RR = 60/HR + respiratory sinus arrhythmia + Mayer-wave (0.1 Hz) + beat noise,
    # with amplitudes set so that the RMSSD follows the phase's set-point.
    hr = sp("hr_bpm") * (1 + _smooth_walk(rng, n, 0.02, 30.0))
    rmssd_s = sp("rmssd_ms") / 1000.0
    lf_phase = 2 * np.pi * 0.1 * grid + rng.uniform(0, 2 * np.pi)
    rr_mean = 60.0 / hr
    rsa_gain = np.sqrt(2) * np.abs(np.sin(np.pi * (rsp_bpm / 60.0) * rr_mean))
    rsa_amp = 0.7 * rmssd_s / np.maximum(rsa_gain, 0.2)
    noise_sd = np.sqrt(np.maximum(rmssd_s**2 - (0.7 * rmssd_s) ** 2, 0) / 2)
    rr_base = rr_mean + rsa_amp * np.sin(2 * np.pi * resp_phase) + 0.5 * rsa_amp * np.sin(lf_phase)
    beats = []
    t = float(rng.uniform(0.1, 0.6))
    beat_noise = rng.standard_normal(int(total_s * 4) + 16)
    i = 0
    while t < total_s + 2.0:
        beats.append(t)
        g = min(int(t * GRID_HZ), n - 1)
        t += float(rr_base[g] + noise_sd[g] * beat_noise[i % beat_noise.size])
        i += 1
    beat_t = np.asarray(beats)

    # SCRs: inhomogeneous Poisson process by thinning, log-normal amplitudes.
    rate_max = float(sp("scr_per_min").max()) / 60.0
    n_cand = rng.poisson(rate_max * total_s)
    cand = np.sort(rng.uniform(0, total_s, n_cand))
    keep = (
        rng.uniform(0, 1, n_cand)
        < protocol.setpoint("scr_per_min", cand, total_s) / 60.0 / rate_max
    )
    onsets = cand[keep]
    amps = protocol.setpoint("scr_amp_us", onsets, total_s) * rng.lognormal(0.0, 0.35, onsets.size)

    scl = sp("scl_us") + _smooth_walk(rng, n, 0.15, 60.0)
    temp = 33.2 + np.cumsum(sp("temp_slope_c_per_min") / 60.0) / GRID_HZ
    temp += _smooth_walk(rng, n, 0.03, 120.0)
    eeg = {attr: sp(attr) for attr in ("alpha_uv", "beta_uv", "faa")}
    return Timeline(protocol, total_s, grid, resp_phase, beat_t, onsets, amps, scl, temp, eeg)


def _gauss(x: np.ndarray, center: float | np.ndarray, width: float, amp: float) -> np.ndarray:
    return amp * np.exp(-0.5 * ((x - center) / width) ** 2)


def _ecg_beat(tau_s: np.ndarray, rr_s: np.ndarray) -> np.ndarray:
    """PQRST template (mV) at time `tau_s` relative to the R peak."""
    qt = 0.28 * np.sqrt(np.clip(rr_s, 0.3, 2.0))
    return (
        _gauss(tau_s, -0.16, 0.025, 0.12)
        + _gauss(tau_s, -0.028, 0.008, -0.10)
        + _gauss(tau_s, 0.0, 0.009, 1.2)
        + _gauss(tau_s, 0.028, 0.010, -0.25)
        + _gauss(tau_s, qt, 0.05, 0.30)
    )


def _ppg_pulse(tau_s: np.ndarray) -> np.ndarray:
    """Systolic peak and dicrotic wave at time `tau_s` after the pulse arrives."""
    return _gauss(tau_s, 0.12, 0.07, 1.0) + _gauss(tau_s, 0.40, 0.09, 0.35)


def _bateman(tau_s: np.ndarray) -> np.ndarray:
    """SCR shape with unit peak: rise 0.75 s, recovery 2 s."""
    tau = np.maximum(tau_s, 0.0)
    shape = np.exp(-tau / 2.0) - np.exp(-tau / 0.75)
    return np.where(tau_s > 0, shape / 0.3746, 0.0)


class StreamRenderer:
    """Renders successive samples of one signal kind at `rate_hz` from a timeline."""

    def __init__(self, timeline: Timeline, kind: str, rate_hz: float, seed: int):
        self.timeline = timeline
        self.kind = kind
        self.rate_hz = float(rate_hz)
        self.n_rendered = 0
        # one generator per noise source, so that any split into blocks draws the same numbers
        seeds = np.random.SeedSequence([seed, 2, hash_kind(kind)]).spawn(5)
        self._rng, *self._band_rngs = (np.random.default_rng(s) for s in seeds)
        self._filters: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        if kind == "EEG":
            fs = self.rate_hz
            for band, (lo, hi) in {"theta": (4, 7), "alpha": (8.5, 11.5), "beta": (15, 25)}.items():
                sos = signal.butter(4, [lo, hi], btype="bandpass", fs=fs, output="sos")
                zi = np.zeros((sos.shape[0], 2, len(EEG_CHANNELS)))
                self._filters[band] = (sos, zi)
            # pink (1/f) background: Kellet's economy filter approximation
            b = np.array([0.049922035, -0.095993537, 0.050612699, -0.004408786])
            a = np.array([1, -2.494956002, 2.017265875, -0.522189400])
            self._pink = (b, a, np.zeros((3, len(EEG_CHANNELS))))

    @property
    def n_channels(self) -> int:
        return len(EEG_CHANNELS) if self.kind == "EEG" else 1

    def render(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """The next `n` samples: times (s since session start) and values (n, channels)."""
        k = np.arange(self.n_rendered, self.n_rendered + n)
        self.n_rendered += n
        t = k / self.rate_hz
        fn = getattr(self, f"_render_{self.kind.lower()}")
        return t, fn(t).reshape(n, -1)

    def _near_beats(self, t: np.ndarray, events: np.ndarray, offsets: tuple[int, ...]):
        idx = np.searchsorted(events, t)
        for off in offsets:
            j = np.clip(idx + off, 0, events.size - 1)
            yield j, t - events[j]

    def _render_ecg(self, t: np.ndarray) -> np.ndarray:
        tl = self.timeline
        beats = tl.beat_t_s
        rr = np.diff(beats, append=beats[-1] + 0.8)
        out = np.zeros_like(t)
        for j, tau in self._near_beats(t, beats, (-1, 0, 1)):
            out += _ecg_beat(tau, rr[j])
        resp = np.sin(2 * np.pi * tl.on_grid(tl.resp_phase_cycles, t))
        out *= 1 + 0.08 * resp
        out += 0.08 * resp + 0.01 * np.sin(2 * np.pi * 50.0 * t)
        return out + 0.015 * self._rng.standard_normal(t.size)

    def _render_ppg(self, t: np.ndarray) -> np.ndarray:
        tl = self.timeline
        arrivals = tl.beat_t_s + 0.20
        out = np.zeros_like(t)
        for _, tau in self._near_beats(t, arrivals, (-2, -1, 0)):
            out += np.where(tau >= 0, _ppg_pulse(tau), 0.0)
        resp = np.sin(2 * np.pi * tl.on_grid(tl.resp_phase_cycles, t))
        return out + 0.05 * resp + 0.02 * self._rng.standard_normal(t.size)

    def _render_eda(self, t: np.ndarray) -> np.ndarray:
        tl = self.timeline
        out = tl.on_grid(tl.scl_us, t)
        lo = np.searchsorted(tl.scr_onset_s, t[0] - 30.0)
        hi = np.searchsorted(tl.scr_onset_s, t[-1])
        for onset, amp in zip(tl.scr_onset_s[lo:hi], tl.scr_amp_us[lo:hi], strict=True):
            out = out + amp * _bateman(t - onset)
        return out + 0.003 * self._rng.standard_normal(t.size)

    def _render_rsp(self, t: np.ndarray) -> np.ndarray:
        tl = self.timeline
        phase = 2 * np.pi * tl.on_grid(tl.resp_phase_cycles, t)
        out = np.sin(phase) + 0.15 * np.sin(2 * phase + 0.6)
        return out + 0.03 * self._rng.standard_normal(t.size)

    def _render_temp(self, t: np.ndarray) -> np.ndarray:
        tl = self.timeline
        return tl.on_grid(tl.temp_c, t) + 0.005 * self._rng.standard_normal(t.size)

    def _render_eeg(self, t: np.ndarray) -> np.ndarray:
        tl = self.timeline
        n_ch = len(EEG_CHANNELS)
        bands = {}
        for rng, (band, (sos, zi)) in zip(self._band_rngs, self._filters.items(), strict=False):
            white = rng.standard_normal((t.size, n_ch))
            filtered, zi_new = signal.sosfilt(sos, white, axis=0, zi=zi)
            self._filters[band] = (sos, zi_new)
            bands[band] = filtered * 3.0  # unit-variance-ish band-limited noise
        b, a, zi = self._pink
        pink, zi_new = signal.lfilter(
            b, a, self._rng.standard_normal((t.size, n_ch)), axis=0, zi=zi
        )
        self._pink = (b, a, zi_new)
        alpha = tl.on_grid(tl.eeg_setpoints["alpha_uv"], t)[:, None]
        beta = tl.on_grid(tl.eeg_setpoints["beta_uv"], t)[:, None]
        half_faa = tl.on_grid(tl.eeg_setpoints["faa"], t)[:, None] / 2.0
        # per-channel alpha gain: temporal sites carry more alpha; AF7/AF8 carry the asymmetry
        gain = np.concatenate(
            [
                np.full_like(half_faa, 1.3),
                np.exp(-half_faa),
                np.exp(half_faa),
                np.full_like(half_faa, 1.3),
            ],
            axis=1,
        )
        out = alpha * gain * bands["alpha"] + beta * bands["beta"] + 3.0 * bands["theta"]
        out += 40.0 * pink + 0.5 * np.sin(2 * np.pi * 50.0 * t)[:, None]
        return out


def hash_kind(kind: str) -> int:
    """Stable small integer per signal kind (Python's hash() is salted per process)."""
    return sum((i + 1) * ord(c) for i, c in enumerate(kind))
