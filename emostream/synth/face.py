"""Synthetic face-tracker output that follows the protocol's valence and arousal.

Frames carry what OpenFace / py-feat publish (`emostream.features.face.face_channels()`):
detection confidence, 17 action-unit intensities (0..5) and 7 expression probabilities.

- Positive valence (amusement) brings smile episodes: AU12 (lip-corner puller) with AU06
  (cheek raiser), the Duchenne smile, more often and stronger the more positive.
- Negative valence with arousal (stress) raises a tonic frown: AU04 (brow lowerer), AU07
  (lid tightener), AU23 (lip tightener), AU14/AU17.
- Blinks (AU45) at 12–25 per minute, more with arousal; the face turns away now and then
  (confidence drops, the tracker reports zeros).
- Expression probabilities are a softmax of AU-driven scores.

The whole session is drawn at once on the frame grid (about 11 MB per hour at 30 Hz), so any
split into blocks gives the same frames.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from emostream.features.face import ACTION_UNITS, EXPRESSIONS
from emostream.synth.physiology import Timeline

AU = {name: i for i, name in enumerate(ACTION_UNITS)}
#: the tracker's confidence for a visible face, and for a face turned away
CONFIDENT, LOOKED_AWAY = 0.95, 0.05


def _unit(values: np.ndarray) -> np.ndarray:
    """Protocol rating (1..9) as -1..1."""
    return (values - 5.0) / 4.0


def _episodes(
    rng: np.random.Generator,
    t: np.ndarray,
    rate_per_min: np.ndarray,
    duration_s: tuple[float, float],
) -> tuple[np.ndarray, np.ndarray]:
    """Onsets (frame indices) and durations (frames) of a Poisson process with a varying rate."""
    fs = 1.0 / (t[1] - t[0])
    top = float(rate_per_min.max(initial=0.0))
    if top <= 0:
        return np.zeros(0, int), np.zeros(0, int)
    n = rng.poisson(top / 60.0 * t.size / fs)
    onsets = np.sort(rng.integers(0, t.size, n))
    keep = rng.random(n) < rate_per_min[onsets] / top  # thinning to the local rate
    lengths = (rng.uniform(*duration_s, n) * fs).astype(int) + 1
    return onsets[keep], lengths[keep]


def _bumps(n: int, onsets: np.ndarray, lengths: np.ndarray, heights: np.ndarray) -> np.ndarray:
    """Sum of raised-cosine bumps (rise and fall) placed at `onsets`."""
    out = np.zeros(n)
    for length in np.unique(lengths):
        sel = lengths == length
        kernel = 0.5 - 0.5 * np.cos(2 * np.pi * (np.arange(length) + 0.5) / length)
        impulses = np.zeros(n)
        np.add.at(impulses, onsets[sel], heights[sel])
        out += np.convolve(impulses, kernel)[:n]
    return out


def face_stream(
    timeline: Timeline, seed: int, rate_hz: float = 30.0
) -> tuple[np.ndarray, np.ndarray]:
    """Frame times (s since session start) and frames (n, 25), channels as `face_channels()`."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 7]))
    n = int(np.ceil(timeline.total_s * rate_hz))
    t = np.arange(n) / rate_hz
    protocol, total = timeline.protocol, timeline.total_s
    valence = _unit(protocol.setpoint("valence", t, total))
    arousal = _unit(protocol.setpoint("arousal", t, total))
    positive, negative = np.maximum(valence, 0.0), np.maximum(-valence, 0.0)

    aus = np.zeros((n, len(ACTION_UNITS)))
    # smiles: episodes of 2–6 s, up to ~5 per minute in amusement
    onsets, lengths = _episodes(rng, t, 0.3 + 6.0 * positive**1.5, (2.0, 6.0))
    smile = _bumps(
        n, onsets, lengths, rng.uniform(1.5, 4.0, onsets.size) * (0.5 + positive[onsets])
    )
    aus[:, AU["AU12"]] = smile
    aus[:, AU["AU06"]] = 0.7 * smile
    aus[:, AU["AU25"]] = 0.4 * smile  # lips part when smiling broadly
    # a tonic frown under negative, aroused states, with slow wander
    wander = ndimage.gaussian_filter1d(rng.standard_normal(n), sigma=3 * rate_hz)
    frown = 2.0 * negative * (0.5 + np.maximum(arousal, 0.0)) * (1.0 + 8.0 * wander)
    for name, gain in (("AU04", 1.0), ("AU07", 0.8), ("AU23", 0.6), ("AU14", 0.4), ("AU17", 0.5)):
        aus[:, AU[name]] = gain * np.maximum(frown, 0.0)
    # blinks: ~0.2 s closures
    onsets, lengths = _episodes(rng, t, 16.0 + 8.0 * arousal, (0.15, 0.3))
    aus[:, AU["AU45"]] = np.minimum(_bumps(n, onsets, lengths, np.full(onsets.size, 3.5)), 5.0)
    aus += np.abs(rng.normal(0.0, 0.08, aus.shape))  # tracker noise floor
    aus = np.clip(aus, 0.0, 5.0)

    scores = np.zeros((n, len(EXPRESSIONS)))
    e = {name: i for i, name in enumerate(EXPRESSIONS)}
    scores[:, e["happiness"]] = 1.6 * aus[:, AU["AU12"]] + 0.6 * aus[:, AU["AU06"]] - 1.0
    scores[:, e["anger"]] = 1.2 * aus[:, AU["AU04"]] + 0.8 * aus[:, AU["AU23"]] - 1.5
    scores[:, e["sadness"]] = 0.8 * aus[:, AU["AU04"]] + 0.6 * aus[:, AU["AU17"]] - 1.8
    scores[:, e["fear"]] = 0.6 * aus[:, AU["AU04"]] + 0.5 * aus[:, AU["AU07"]] - 2.0
    scores[:, e["disgust"]] = 0.5 * aus[:, AU["AU14"]] - 2.5
    scores[:, e["surprise"]] = -2.5 + 0.2 * rng.standard_normal(n)
    scores[:, e["neutral"]] = 1.0
    probs = np.exp(scores - scores.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)

    confidence = np.clip(CONFIDENT + rng.normal(0.0, 0.02, n), 0.0, 1.0)
    # the face turns away ~0.5 times a minute for 1–4 s: the tracker reports zeros
    onsets, lengths = _episodes(rng, t, np.full(n, 0.5), (1.0, 4.0))
    away = _bumps(n, onsets, lengths, np.ones(onsets.size)) > 0.05
    confidence[away] = LOOKED_AWAY
    aus[away] = 0.0
    probs[away] = 0.0

    return t, np.column_stack((confidence, aus, probs)).astype(np.float32)


class FaceRenderer:
    """Successive frames of `face_stream`, with the physiology renderers' interface."""

    def __init__(self, timeline: Timeline, rate_hz: float, seed: int):
        self.rate_hz = float(rate_hz)
        self._t, self._frames = face_stream(timeline, seed, rate_hz)
        self.n_rendered = 0

    @property
    def n_channels(self) -> int:
        return self._frames.shape[1]

    def render(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """The next `n` frames: times (s since session start) and values (n, 25)."""
        k = np.arange(self.n_rendered, self.n_rendered + n)
        self.n_rendered += n
        inside = np.minimum(k, self._t.size - 1)  # past the end: hold the last frame
        return k / self.rate_hz, self._frames[inside]
