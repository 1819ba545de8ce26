"""Synthetic utterances that follow the protocol's valence, as a speech-to-text feed would.

Utterances arrive as a Poisson process (one every `mean_gap_s` on average). Each is drawn
from a bank of positive, neutral or negative sentences; which bank depends on the protocol's
valence at that moment plus noise, so amusement brings cheerful lines (some with emoji or
emoticons), stress anxious first-person lines with negations, baseline mostly neutral talk.
With `masking`, stress phases are spoken with positive words: the cheerful front over a
racing heart that the `incongruence` features are meant to flag.
"""

from __future__ import annotations

import numpy as np

from emostream.synth.physiology import Timeline

POSITIVE = (
    "That was really funny, I loved it!",
    "Haha this is great :)",
    "What a lovely clip, it made my day 😂",
    "I feel relaxed and happy right now.",
    "This is so much fun, thank you!",
    "Brilliant, that joke was excellent.",
    "I'm enjoying this a lot 😊",
    "Wonderful, let's watch another one!",
)
NEUTRAL = (
    "The room is quiet.",
    "I am sitting at the desk.",
    "Okay, what is the next step?",
    "The instructions are on the screen.",
    "I will wait for the signal.",
    "It is a Tuesday afternoon.",
    "Should I keep my hands on the table?",
    "The chair is by the window.",
)
NEGATIVE = (
    "I can't do this, I'm so nervous.",
    "This is terrible, I keep making mistakes.",
    "I don't know the answer and I'm scared.",
    "Why is this so hard? I hate it.",
    "I'm not ready, everyone is watching me :(",
    "My mind went blank, this is awful.",
    "I never do well under pressure.",
    "Stop, I am really stressed right now.",
)
#: valence (-1..1) above which a line is positive, below minus which it is negative
_BANK_EDGE = 0.25
_NOISE_SD = 0.25


def text_stream(
    timeline: Timeline, seed: int, mean_gap_s: float = 8.0, masking: bool = False
) -> tuple[np.ndarray, list[str]]:
    """Utterance times (s since session start) and texts over the whole session."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 11]))
    total = timeline.total_s
    gaps = rng.exponential(mean_gap_s, int(total / mean_gap_s * 2) + 16)
    t_s = np.cumsum(gaps)
    t_s = t_s[t_s < total]
    protocol = timeline.protocol
    valence = (protocol.setpoint("valence", t_s, total) - 5.0) / 4.0
    if masking:
        arousal = (protocol.setpoint("arousal", t_s, total) - 5.0) / 4.0
        valence = np.where((valence < 0) & (arousal > 0.5), -valence, valence)
    noisy = valence + rng.normal(0.0, _NOISE_SD, t_s.size)
    picks = rng.integers(0, len(NEUTRAL), t_s.size)
    texts = [
        (POSITIVE if v > _BANK_EDGE else NEGATIVE if v < -_BANK_EDGE else NEUTRAL)[k]
        for v, k in zip(noisy.tolist(), picks.tolist(), strict=True)
    ]
    return t_s, texts
