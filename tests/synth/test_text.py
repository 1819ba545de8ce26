"""Synthetic utterances follow the protocol's valence; the synthetic wearer streams them."""

from __future__ import annotations

import asyncio

import numpy as np

from emostream.core.chunk import Chunk
from emostream.features.text import score_utterance
from emostream.profiles import load_profile
from emostream.sources.synthetic import SyntheticWearerSource
from emostream.synth.physiology import make_timeline
from emostream.synth.protocol import Protocol
from emostream.synth.text import text_stream

PROTOCOL = Protocol()


def _valence_by_phase(masking: bool = False) -> dict[str, float]:
    total_s = PROTOCOL.duration_s
    t_s, texts = text_stream(make_timeline(PROTOCOL, total_s, 3), 3, masking=masking)
    out = {}
    for name, start, end in PROTOCOL.boundaries(total_s):
        # skip the first 45 s of a phase: the set-points follow a change with a 15 s lag
        inside = [x for t, x in zip(t_s, texts, strict=True) if start + 45.0 < t <= end]
        assert len(inside) >= 8, name
        out[name] = float(np.mean([score_utterance(x).compound for x in inside]))
    return out


def test_utterance_sentiment_follows_the_phases():
    valence = _valence_by_phase()
    assert valence["stress"] < -0.2
    assert valence["amusement"] > 0.3
    assert valence["stress"] < valence["baseline"] < valence["amusement"]


def test_masking_speaks_positively_under_stress():
    masked = _valence_by_phase(masking=True)
    assert masked["stress"] > 0.3
    assert abs(masked["baseline"] - _valence_by_phase()["baseline"]) < 1e-12


def test_the_synthetic_wearer_streams_utterances_on_its_clock():
    profile = load_profile("synthetic-wearer-text")
    source = SyntheticWearerSource(seed=5, duration_s=120.0, profile=profile, t0_s=50.0)

    async def collect() -> list[Chunk]:
        return [e async for e in source.events() if isinstance(e, Chunk) and e.spec.is_text]

    chunks = asyncio.run(collect())
    ts = np.concatenate([c.timestamps for c in chunks])
    texts = [row[0] for c in chunks for row in c.data.tolist()]
    want_t, want_texts = text_stream(make_timeline(source.protocol, 120.0, 5), 5)
    assert np.allclose(ts, 50.0 + want_t) and texts == want_texts and len(texts) > 5
