"""Synthetic face and voice streams: deterministic, block-invariant, and following the protocol
(amusement → smiles and raised F0; stress → frowns, louder, rougher voice)."""

from __future__ import annotations

import numpy as np
import pytest

from emostream.features.face import FaceLayout, FaceParams, face_channels, face_features
from emostream.features.voice import VoiceParams, voice_features
from emostream.synth.face import face_stream
from emostream.synth.physiology import make_timeline
from emostream.synth.protocol import Protocol
from emostream.synth.streams import renderer_for
from emostream.synth.voice import VoiceRenderer, voice_stream

PROTOCOL = Protocol((("baseline", 90.0), ("stress", 90.0), ("amusement", 90.0)))
AUDIO_HZ = 16000.0


@pytest.fixture(scope="module")
def timeline():
    return make_timeline(PROTOCOL, PROTOCOL.duration_s, seed=3)


@pytest.fixture(scope="module")
def voice(timeline):
    return voice_stream(timeline, seed=3, rate_hz=AUDIO_HZ)


def _phase(t: np.ndarray, name: str) -> np.ndarray:
    """The settled part of a phase (after 30 s of transition)."""
    for phase, start, end in PROTOCOL.boundaries(PROTOCOL.duration_s):
        if phase == name:
            return (t >= start + 30.0) & (t < end)
    raise KeyError(name)


def test_face_frames_have_the_tracker_channels_and_ranges(timeline):
    t, frames = face_stream(timeline, seed=3)
    assert frames.shape == (int(PROTOCOL.duration_s * 30), len(face_channels()))
    assert np.allclose(np.diff(t), 1 / 30)
    assert frames.min() >= 0.0 and frames[:, 1:18].max() <= 5.0
    visible = frames[:, 0] > 0.5
    assert np.allclose(frames[visible, 18:].sum(axis=1), 1.0, atol=1e-5)


def test_face_is_deterministic_and_block_invariant(timeline):
    """Rendered in blocks by the renderer a synthetic source picks for a Face stream."""
    _, once = face_stream(timeline, seed=3)
    _, again = face_stream(timeline, seed=3)
    _, other = face_stream(timeline, seed=4)
    assert np.array_equal(once, again) and not np.array_equal(once, other)
    renderer = renderer_for(timeline, "Face", 30.0, seed=3)
    blocks = np.concatenate([renderer.render(n)[1] for n in (1, 29, 300, 7)])
    assert np.array_equal(blocks, once[: blocks.shape[0]])


def test_face_follows_the_protocol(timeline):
    t, frames = face_stream(timeline, seed=3)
    layout = FaceLayout.of(face_channels())
    out = {
        phase: face_features(frames[_phase(t, phase)], layout, FaceParams()).values
        for phase in ("baseline", "stress", "amusement")
    }
    assert out["amusement"]["face_au12_mean"] > 2 * out["baseline"]["face_au12_mean"]
    assert out["amusement"]["face_au12_mean"] > 2 * out["stress"]["face_au12_mean"]
    assert out["amusement"]["face_happiness_mean"] > out["baseline"]["face_happiness_mean"]
    assert out["stress"]["face_au04_mean"] > 5 * out["baseline"]["face_au04_mean"]
    assert out["stress"]["face_anger_mean"] > out["amusement"]["face_anger_mean"]


def test_voice_is_deterministic_and_block_invariant(timeline, voice):
    """Rendered in blocks by the renderer a synthetic source picks for an Audio stream."""
    t, x = voice
    assert x.dtype == np.float32 and x.shape == (t.size, 1)
    renderer = renderer_for(timeline, "Audio", AUDIO_HZ, seed=3)
    blocks = np.concatenate([renderer.render(n)[1] for n in (1, 17, 16000, 333, 40000)])
    assert np.array_equal(blocks, x[: blocks.shape[0]])
    other = VoiceRenderer(timeline, AUDIO_HZ, seed=4).render(blocks.shape[0])[1]
    assert not np.array_equal(other, blocks)


def test_voice_follows_the_protocol(voice):
    t, x = voice
    out = {
        phase: voice_features(t[_phase(t, phase)], x[_phase(t, phase), 0], AUDIO_HZ, VoiceParams())
        for phase in ("baseline", "stress", "amusement")
    }
    base, stress, amused = (out[p].values for p in ("baseline", "stress", "amusement"))
    assert amused["voice_f0_mean_hz"] > 1.1 * base["voice_f0_mean_hz"]
    assert amused["voice_f0_sd_hz"] > 1.5 * base["voice_f0_sd_hz"]
    assert stress["voice_intensity_dbfs"] > base["voice_intensity_dbfs"] + 3.0
    assert stress["voice_activity_ratio"] > base["voice_activity_ratio"]
    assert stress["voice_jitter_pct"] > base["voice_jitter_pct"]
    assert stress["voice_hnr_db"] < base["voice_hnr_db"] - 3.0
    assert stress["voice_speech_rate_hz"] > base["voice_speech_rate_hz"]
