"""Voice features on synthetic vowels with known F0, jitter and shimmer, against Praat.

A glottal pulse train (each period and pulse amplitude perturbed at random, so the true
local jitter and shimmer are known) goes through a spectral tilt and three formant
resonators, at 10x the audio rate so that pulse times are not rounded to audio samples,
then white noise sets the harmonics-to-noise ratio. No espeak-ng needed; the espeak tests
in test_voice.py are the extra tier on real speech.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
from scipy import signal

from emostream.features.voice import VoiceParams, voice_features, voice_frames

parselmouth = pytest.importorskip("parselmouth")
call = parselmouth.praat.call

FS_HZ = 16000.0
UPSAMPLE = 10
DURATION_S = 3.0
#: local jitter and shimmer put into every vowel (mean absolute difference of consecutive
#: periods / amplitudes over their mean)
JITTER, SHIMMER = 0.01, 0.05
#: (F1, F2, F3) of /a/ and their bandwidths, Hz
FORMANTS = ((700.0, 80.0), (1220.0, 90.0), (2600.0, 120.0))
#: id: (F0 Hz, signal-to-noise ratio dB)
VOWELS = {"f120-snr30": (120.0, 30.0), "f150-snr30": (150.0, 30.0), "f220-snr30": (220.0, 30.0)}
LOW_F0 = {"f100-snr30": (100.0, 30.0)}
NOISY = {"f220-snr20": (220.0, 20.0)}
ALL = VOWELS | LOW_F0 | NOISY
T0_S = 50.0


def vowel(f0_hz: float, snr_db: float, seed: int = 2) -> np.ndarray:
    rng = np.random.default_rng(seed)
    fs_hi = FS_HZ * UPSAMPLE
    x = np.zeros(int(DURATION_S * fs_hi))
    # for Gaussian perturbations, E|a - b| = 2 sigma / sqrt(pi)
    sd_period, sd_amp = (v * np.sqrt(np.pi) / 2 for v in (JITTER, SHIMMER))
    t_s = 0.05
    while t_s < DURATION_S - 0.05:
        x[round(t_s * fs_hi)] = 1.0 + sd_amp * rng.standard_normal()
        t_s += (1.0 + sd_period * rng.standard_normal()) / f0_hz
    for _ in range(2):  # glottal spectral tilt, -12 dB per octave
        x = signal.lfilter([0.01], [1.0, -0.99], x)
    for f_hz, bw_hz in FORMANTS:
        r = np.exp(-np.pi * bw_hz / fs_hi)
        x = signal.lfilter([1 - r], [1.0, -2 * r * np.cos(2 * np.pi * f_hz / fs_hi), r * r], x)
    x = signal.resample_poly(x, 1, UPSAMPLE)
    x += rng.standard_normal(x.size) * np.sqrt(np.mean(x**2) / 10 ** (snr_db / 10))
    return 0.5 * x / np.abs(x).max()


@functools.cache
def measured(vowel_id: str) -> tuple[dict[str, float], dict[str, float]]:
    """(our features, Praat's figures with the same settings: 75–600 Hz, 10 ms frames)."""
    x = vowel(*ALL[vowel_id])
    ts = T0_S + np.arange(x.size) / FS_HZ
    ours = voice_features(ts, x, FS_HZ, VoiceParams()).values
    snd = parselmouth.Sound(x, FS_HZ)
    f0 = snd.to_pitch_ac(time_step=0.01, pitch_floor=75.0, pitch_ceiling=600.0)
    f0_hz = f0.selected_array["frequency"]
    praat = {"f0_mean_hz": float(f0_hz[f0_hz > 0].mean())}
    for method in ("cc", "peaks"):
        args = (75.0, 600.0) if method == "cc" else (75.0, 600.0, "yes", "no")
        pulses = call(snd, f"To PointProcess (periodic, {method})", *args)
        praat[f"jitter_{method}"] = 100 * call(pulses, "Get jitter (local)", 0, 0, 1e-4, 0.02, 1.3)
        praat[f"shimmer_{method}"] = 100 * call(
            [snd, pulses], "Get shimmer (local)", 0, 0, 1e-4, 0.02, 1.3, 1.6
        )
    # HNR on the frames we call voiced, with Praat's cc (1 period) and ac (4.5 periods)
    frames = voice_frames(ts, x, FS_HZ, VoiceParams())
    at = frames.t_center[frames.voiced] - T0_S
    for key, hnr in (
        ("hnr_cc", snd.to_harmonicity_cc(0.01, 75.0, 0.1, 1.0)),
        ("hnr_ac", snd.to_harmonicity_ac(0.01, 75.0, 0.1, 4.5)),
    ):
        h = np.array([hnr.get_value(t) for t in at])
        praat[key] = float(np.mean(h[np.isfinite(h) & (h > -100)]))
    return ours, praat


@pytest.mark.parametrize("vowel_id", list(ALL))
def test_f0_is_the_generated_one_and_praats(vowel_id: str) -> None:
    ours, praat = measured(vowel_id)
    f0_hz = ALL[vowel_id][0]
    assert ours["voice_f0_mean_hz"] == pytest.approx(f0_hz, rel=0.005)
    assert ours["voice_f0_mean_hz"] == pytest.approx(praat["f0_mean_hz"], rel=0.005)
    assert ours["voice_activity_ratio"] > 0.9


@pytest.mark.parametrize("vowel_id", list(ALL))
def test_jitter_matches_praat_peaks_method(vowel_id: str) -> None:
    """As on real speech (test_voice.py): within half the spread of Praat's two methods."""
    ours, praat = measured(vowel_id)
    spread = abs(praat["jitter_cc"] - praat["jitter_peaks"])
    assert abs(ours["voice_jitter_pct"] - praat["jitter_peaks"]) <= 0.5 * spread
    if vowel_id in VOWELS:  # with little noise, both find the jitter that was put in
        assert ours["voice_jitter_pct"] == pytest.approx(100 * JITTER, abs=0.25)


@pytest.mark.parametrize("vowel_id", list(ALL))
def test_shimmer_matches_praat(vowel_id: str) -> None:
    """As on real speech (test_voice.py): within 5 % of Praat's, noisy vowel included."""
    ours, praat = measured(vowel_id)
    assert ours["voice_shimmer_pct"] == pytest.approx(praat["shimmer_peaks"], rel=0.05)


@pytest.mark.parametrize("vowel_id", list(ALL))
def test_hnr_between_praat_methods(vowel_id: str) -> None:
    """As on real speech (test_voice.py): between Praat's cc and ac figures, ±0.5 dB."""
    ours, praat = measured(vowel_id)
    lo, hi = sorted((praat["hnr_cc"], praat["hnr_ac"]))
    assert lo - 0.5 <= ours["voice_hnr_db"] <= hi + 0.5


def test_hnr_falls_as_noise_rises() -> None:
    hnr = [
        voice_features(
            T0_S + np.arange(int(DURATION_S * FS_HZ)) / FS_HZ,
            vowel(150.0, snr_db),
            FS_HZ,
            VoiceParams(),
        ).values["voice_hnr_db"]
        for snr_db in (30.0, 20.0, 10.0)
    ]
    assert hnr[0] > hnr[1] > hnr[2]
