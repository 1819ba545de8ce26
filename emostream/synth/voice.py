"""Synthetic speech audio whose prosody follows the protocol's valence and arousal.

A source-filter voice: a glottal pulse train (with jitter and shimmer) through three formant
resonators, plus breath noise, in utterances of syllables separated by pauses.

- Arousal raises F0, loudness and the syllable rate; the speaker talks more when aroused.
- Positive valence (amusement) raises F0 further and widens its excursions (lively
  intonation); negative valence (stress) adds jitter, shimmer and breathiness.

Pulse times and envelopes are drawn once per session (sparse: about 150 pulses per second of
speech); samples are then rendered block by block with the filter state and the noise
generator carried over, so any split into blocks gives the same audio.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage, signal

from emostream.synth.physiology import Timeline

#: envelope grid
ENV_HZ = 100.0
#: formants of a neutral vowel (Hz) and their bandwidths (Hz)
FORMANTS_HZ = ((600.0, 120.0), (1250.0, 130.0), (2600.0, 180.0))
NOISE_FLOOR = 10 ** (-62 / 20)
#: `voice_stream` renders in blocks of this length to bound memory
BLOCK_S = 10.0


def _unit(values: np.ndarray) -> np.ndarray:
    """Protocol rating (1..9) as -1..1."""
    return (values - 5.0) / 4.0


def _utterance_gate(rng: np.random.Generator, t: np.ndarray, talk: np.ndarray) -> np.ndarray:
    """1 inside utterances (1–4 s long), 0 in pauses sized so the talk fraction follows `talk`."""
    gate = np.zeros(t.size)
    now, end = 0.0, float(t[-1])
    while now < end:
        p = float(np.interp(now, t, talk))
        length = rng.uniform(1.0, 4.0)
        now += rng.exponential(2.5 * (1.0 - p) / p)
        a, b = np.searchsorted(t, (now, now + length))
        gate[a:b] = 1.0
        now += length
    return gate


class VoiceRenderer:
    """Renders successive audio samples (float32, -1..1) of one synthetic speaker."""

    def __init__(self, timeline: Timeline, rate_hz: float, seed: int):
        self.rate_hz = float(rate_hz)
        self.n_rendered = 0
        rng = np.random.default_rng(np.random.SeedSequence([seed, 8]))
        # two generators, one per noise, so that block sizes do not change which draw goes where
        self._breath_rng, self._floor_rng = (
            np.random.default_rng(s) for s in np.random.SeedSequence([seed, 9]).spawn(2)
        )
        total, protocol = timeline.total_s, timeline.protocol
        t = np.arange(int(np.ceil(total * ENV_HZ)) + 2) / ENV_HZ
        valence = _unit(protocol.setpoint("valence", t, total))
        arousal = _unit(protocol.setpoint("arousal", t, total))
        positive, negative = np.maximum(valence, 0.0), np.maximum(-valence, 0.0)

        talk = np.clip(0.35 + 0.3 * arousal, 0.15, 0.7)
        utterances = _utterance_gate(rng, t, talk)
        syllable_hz = 3.8 + 1.2 * arousal
        syllable = 0.5 - 0.5 * np.cos(2 * np.pi * np.cumsum(syllable_hz) / ENV_HZ)
        # voiced nuclei with short ramps; the troughs between syllables are unvoiced
        voicing = utterances * np.clip((syllable - 0.25) / 0.35, 0.0, 1.0) ** 0.5
        # F0 in semitones around the speaker's own level
        base_hz = rng.uniform(100.0, 220.0)
        spread_st = 1.2 + 2.5 * positive + 0.8 * np.maximum(arousal, 0.0)
        walk = ndimage.gaussian_filter1d(rng.standard_normal(t.size), sigma=0.25 * ENV_HZ)
        walk /= walk.std() or 1.0
        semitones = 2.5 * arousal + 2.5 * positive + spread_st * walk
        f0_hz = base_hz * 2.0 ** (semitones / 12.0)
        level = 10 ** ((-22.0 + 5.0 * arousal) / 20.0)

        # glottal pulses where the F0 phase crosses whole cycles, kept while voicing is on
        cycles = np.concatenate(([0.0], np.cumsum(f0_hz[:-1]) / ENV_HZ))
        pulse_t = np.interp(np.arange(int(cycles[-1])), cycles, t)
        gate_at = np.interp(pulse_t, t, voicing)
        keep = gate_at > 0.0
        pulse_t, gate_at = pulse_t[keep], gate_at[keep]
        period = np.interp(pulse_t, t, 1.0 / f0_hz)
        jitter = np.interp(pulse_t, t, 0.003 + 0.008 * negative)  # local jitter, fraction
        shimmer = np.interp(pulse_t, t, 0.03 + 0.05 * negative)
        # iid timing error e gives local jitter ≈ 1.96·sd(e)/T; log-amplitude error s gives
        # local shimmer ≈ 1.13·s
        pulse_t = pulse_t + rng.standard_normal(pulse_t.size) * jitter * period / 1.96
        order = np.argsort(pulse_t)
        self._pulse_s = pulse_t[order]
        self._pulse_amp = (
            np.interp(pulse_t, t, level)
            * gate_at
            * np.exp(rng.standard_normal(pulse_t.size) * shimmer / 1.13)
        )[order]
        self._env_t = t
        self._breath = ((0.01 + 0.05 * negative) * level * utterances * (0.3 + syllable)).astype(
            np.float32
        )

        fs = self.rate_hz
        # glottal roll-off (-12 dB/oct) plus lip radiation (+6 dB/oct): -6 dB/oct above ~F0
        sections = [signal.butter(1, 200.0, fs=fs, output="sos")]
        for f_hz, bw_hz in FORMANTS_HZ:
            r = np.exp(-np.pi * bw_hz / fs)
            theta = 2 * np.pi * f_hz / fs
            a = [1.0, -2 * r * np.cos(theta), r * r]
            sections.append(np.array([[sum(a), 0.0, 0.0, *a]]))  # unit gain at DC
        self._sos = np.vstack(sections)
        self._sos = self._sos.astype(np.float32)
        self._zi = np.zeros((self._sos.shape[0], 2), dtype=np.float32)
        self._gain = 50.0  # puts sustained speech near the `level` RMS

    @property
    def n_channels(self) -> int:
        return 1

    def render(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """The next `n` samples: times (s since session start) and values (n, 1)."""
        first = self.n_rendered
        self.n_rendered += n
        fs = self.rate_hz
        t = np.arange(first, first + n) / fs
        # each pulse is shared between its two neighbouring samples, which may lie in two blocks
        excitation = np.zeros(n + 2, dtype=np.float32)
        lo, hi = np.searchsorted(self._pulse_s, ((first - 1) / fs, (first + n) / fs))
        pos = self._pulse_s[lo:hi] * fs - first
        base = np.floor(pos).astype(int)
        frac = pos - base
        amp = self._pulse_amp[lo:hi]
        np.add.at(excitation, base + 1, amp * (1 - frac))
        np.add.at(excitation, base + 2, amp * frac)
        excitation = excitation[1 : n + 1]
        # breath noise under a step envelope (constant over each 10 ms of the envelope grid)
        env = self._breath[np.minimum((t * ENV_HZ).astype(int), self._breath.size - 1)]
        excitation += env * self._breath_rng.standard_normal(n, np.float32)
        voiced, self._zi = signal.sosfilt(self._sos, excitation, zi=self._zi)
        voiced *= self._gain
        voiced += NOISE_FLOOR * self._floor_rng.standard_normal(n, np.float32)
        np.clip(voiced, -1.0, 1.0, out=voiced)
        return t, voiced[:, None]


def voice_stream(
    timeline: Timeline, seed: int, rate_hz: float = 16000.0
) -> tuple[np.ndarray, np.ndarray]:
    """Sample times (s since session start) and audio (n, 1) for the whole session."""
    renderer = VoiceRenderer(timeline, rate_hz, seed)
    n_total = int(np.ceil(timeline.total_s * rate_hz))
    block = int(BLOCK_S * rate_hz)
    x = np.empty((n_total, 1), dtype=np.float32)
    for first in range(0, n_total, block):
        x[first : first + block] = renderer.render(min(block, n_total - first))[1]
    return np.arange(n_total) / rate_hz, x
