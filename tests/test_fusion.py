"""Fusion end to end: the pipeline predicts with every subset of {physiology, face, voice}, and
a modality dropping out mid-session shows in coverage while predictions go on."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from emostream.core.chunk import Chunk
from emostream.core.spec import StreamSpec, markers_spec
from emostream.features.face import face_channels
from emostream.features.registry import parse_feature_tables
from emostream.labels import LabelConfig
from emostream.models.config import ModelConfig
from emostream.models.online import UNKNOWN_STATE, OnlineStateModel
from emostream.pipeline.wearer import WearerPipeline
from emostream.sources.synthetic import phase_markers
from emostream.synth.physiology import make_timeline
from emostream.synth.protocol import Protocol
from emostream.synth.streams import renderer_for
from emostream.windowing import WindowConfig

PROTOCOL = Protocol(
    (
        ("baseline", 60.0),
        ("stress", 60.0),
        ("amusement", 60.0),
        ("baseline", 60.0),
        ("stress", 60.0),
    )
)
RATES = {"ECG": 250.0, "EDA": 16.0, "Face": 30.0, "Audio": 16000.0}
MODALITIES = {"physiology": ("ECG", "EDA"), "face": ("Face",), "voice": ("Audio",)}
FEATURES = {"hrv": {}, "eda": {}, "face": {}, "voice": {}}
LABELS = LabelConfig(
    classes=("calm", "stress", "amusement"),
    map={"baseline": "calm", "recovery": "calm"},
    valence={"calm": 0.0, "stress": -0.6, "amusement": 0.8},
)
CHUNK_S = 0.5


def _channels(kind: str) -> tuple[str, ...]:
    return {"Face": face_channels(), "Audio": ("mic",)}.get(kind, (kind,))


@pytest.fixture(scope="module")
def session() -> dict[str, tuple[StreamSpec, np.ndarray, np.ndarray]]:
    """Every stream of a 5-minute synthetic session, plus its phase markers."""
    total = PROTOCOL.duration_s
    timeline = make_timeline(PROTOCOL, total, seed=5)
    out = {}
    for kind, fs in RATES.items():
        t, x = renderer_for(timeline, kind, fs, 5).render(int(total * fs))
        ch = _channels(kind)
        spec = StreamSpec(kind, f"fusion-{kind}", ch, ("",) * len(ch), fs, f"fusion:{kind.lower()}")
        out[kind] = (spec, t, x.astype(np.float32))
    marks = phase_markers(PROTOCOL, total)
    spec = markers_spec("fusion-markers", "fusion:markers")
    out["Markers"] = (spec, np.array([t for t, _ in marks]), np.array([m for _, m in marks]))
    return out


def _run(session, kinds: tuple[str, ...], stop_s: dict[str, float] | None = None) -> list:
    stop_s = stop_s or {}
    # markers first: a marker on a window boundary must be in before that window closes
    streams = {k: session[k] for k in ("Markers", *kinds)}
    model = OnlineStateModel(ModelConfig(labels=LABELS), config_hash="fusion-test")
    pipeline = WearerPipeline(
        WindowConfig(length_s=20.0, hop_s=5.0, max_lag_s=2.0),
        [spec for spec, _, _ in streams.values()],
        parse_feature_tables(FEATURES, None),
        model=model,
    )
    results = []
    for t0 in np.arange(0.0, PROTOCOL.duration_s, CHUNK_S):
        for kind, (spec, ts, data) in streams.items():
            lo, hi = np.searchsorted(ts, (t0, min(t0 + CHUNK_S, stop_s.get(kind, np.inf))))
            if hi > lo:
                results += pipeline.push(Chunk.from_arrays(spec, ts[lo:hi], data[lo:hi]))
    return results + pipeline.finish()


SUBSETS = [
    combo for n in (1, 2, 3) for combo in itertools.combinations(("physiology", "face", "voice"), n)
]


@pytest.mark.parametrize("subset", SUBSETS, ids="+".join)
def test_predictions_with_every_subset_of_modalities(session, subset):
    kinds = tuple(k for m in subset for k in MODALITIES[m])
    results = _run(session, kinds)
    assert len(results) >= 50
    prefixes = {"physiology": ("hr_", "hrv_", "eda_"), "face": ("face_",), "voice": ("voice_",)}
    present = {
        m
        for m in prefixes
        for r in results
        if any(k.startswith(prefixes[m]) for k in r.features.values)
    }
    assert present == set(subset)  # absent modalities add no keys, nothing is zero-filled
    for r in results:
        assert all(np.isfinite(v) for v in r.features.values.values())
    late = [r.prediction for r in results if r.features.t_end > 200.0]
    assert late and all(p["state"] != UNKNOWN_STATE for p in late)
    for p in late:
        probs = [p[f"p_{c}"] for c in LABELS.classes]
        assert np.isfinite(probs).all() and sum(probs) == pytest.approx(1.0)
        assert -1.0 <= p["valence"] <= 1.0


def test_face_dropping_out_mid_session_shows_in_coverage(session):
    kinds = ("ECG", "EDA", "Face", "Audio")
    results = _run(session, kinds, stop_s={"Face": 150.0})
    by_end = {round(r.features.t_end): r for r in results}
    before, gone = by_end[140].features, by_end[200].features
    assert before.coverage["face"] > 0.95 and "face_au12_mean" in before.values
    assert gone.coverage["face"] == 0.0 and "missing" in gone.flags["face"]
    assert not any(k.startswith("face_") for k in gone.values)
    assert by_end[160].features.coverage["face"] == pytest.approx(0.5, abs=0.05)
    assert all(r.prediction["state"] != UNKNOWN_STATE for r in results if r.features.t_end > 200)
