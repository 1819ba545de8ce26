"""Incongruence on a synthetic masking scenario: cheerful words over stress physiology."""

from __future__ import annotations

import numpy as np
import pytest

from emostream.core.chunk import Chunk
from emostream.core.spec import StreamSpec, markers_spec, text_spec
from emostream.features.registry import parse_feature_tables
from emostream.labels import LabelConfig
from emostream.models.config import ModelConfig
from emostream.models.incongruence import expressed_valence, face_valence, incongruence
from emostream.models.online import OnlineStateModel
from emostream.pipeline.wearer import WearerPipeline
from emostream.sources.synthetic import phase_markers
from emostream.synth.physiology import make_timeline
from emostream.synth.protocol import Protocol
from emostream.synth.streams import renderer_for
from emostream.synth.text import text_stream
from emostream.windowing import WindowConfig

PROTOCOL = Protocol(
    (
        ("baseline", 90.0),
        ("stress", 90.0),
        ("amusement", 90.0),
        ("baseline", 90.0),
        ("stress", 150.0),
    )
)
LABELS = LabelConfig(
    classes=("calm", "stress", "amusement"),
    map={"baseline": "calm", "recovery": "calm"},
    valence={"calm": 0.0, "stress": -0.6, "amusement": 0.8},
)
RATES = {"ECG": 250.0, "EDA": 16.0}
SEED = 4
CHUNK_S = 0.5


def _session(masking: bool) -> dict[str, tuple[StreamSpec, np.ndarray, np.ndarray]]:
    total = PROTOCOL.duration_s
    timeline = make_timeline(PROTOCOL, total, SEED)
    out = {}
    marks = phase_markers(PROTOCOL, total)
    spec = markers_spec("masking-markers", "masking:markers")
    out["Markers"] = (spec, np.array([t for t, _ in marks]), np.array([m for _, m in marks]))
    for kind, fs in RATES.items():
        t, x = renderer_for(timeline, kind, fs, SEED).render(int(total * fs))
        spec = StreamSpec(kind, f"masking-{kind}", (kind,), ("",), fs, f"masking:{kind.lower()}")
        out[kind] = (spec, t, x.astype(np.float32))
    t_s, texts = text_stream(timeline, SEED, mean_gap_s=4.0, masking=masking)
    out["Text"] = (text_spec("masking-text", "masking:text"), t_s, np.array(texts, dtype=object))
    return out


def _stress_rows(masking: bool) -> list[dict]:
    """Prediction rows of the windows inside the second stress phase (after learning)."""
    streams = _session(masking)
    pipeline = WearerPipeline(
        WindowConfig(length_s=30.0, hop_s=5.0, max_lag_s=2.0),
        [spec for spec, _, _ in streams.values()],
        parse_feature_tables({"hrv": {}, "eda": {}, "text": {}}, None),
        model=OnlineStateModel(ModelConfig(labels=LABELS), config_hash="masking-test"),
    )
    results = []
    for t0 in np.arange(0.0, PROTOCOL.duration_s, CHUNK_S):
        for spec, ts, data in streams.values():
            lo, hi = np.searchsorted(ts, (t0, t0 + CHUNK_S))
            if hi > lo:
                results += pipeline.push(Chunk.from_arrays(spec, ts[lo:hi], data[lo:hi]))
    results += pipeline.finish()
    start, end = 4 * 90.0 + 45.0, PROTOCOL.duration_s
    return [
        r.prediction for r in results if start <= r.features.t_start and r.features.t_end <= end
    ]


def test_masking_raises_incongruence_while_the_model_still_sees_stress():
    masked, honest = _stress_rows(masking=True), _stress_rows(masking=False)
    assert len(masked) >= 5 and len(masked) == len(honest)
    for rows in (masked, honest):
        # the body says stress either way
        assert np.mean([r["p_stress"] for r in rows]) > 0.5
        assert np.mean([r["arousal"] for r in rows]) > 0.5
    mean = {
        name: {
            key: float(np.mean([r[key] for r in rows]))
            for key in ("expressed_valence", "incongruence_arousal", "incongruence_valence")
        }
        for name, rows in (("masked", masked), ("honest", honest))
    }
    assert mean["masked"]["expressed_valence"] > 0.3 > -0.2 > mean["honest"]["expressed_valence"]
    assert mean["masked"]["incongruence_valence"] > mean["honest"]["incongruence_valence"] + 0.6
    assert mean["masked"]["incongruence_arousal"] > 0.2
    assert mean["honest"]["incongruence_arousal"] < 0.05


def test_expressed_valence_uses_the_channels_present():
    assert expressed_valence({"hr_bpm": 80.0}) is None
    assert incongruence({"hr_bpm": 80.0}, {"arousal": 2.0, "valence": -0.5}) == {}
    face = {"face_happiness_mean": 0.7, "face_anger_mean": 0.1, "face_sadness_mean": 0.1}
    assert face_valence(face) == pytest.approx(0.5)
    both = {**face, "text_valence": -0.3}
    assert expressed_valence(both) == pytest.approx(0.1)
    out = incongruence(both, {"arousal": 2.0, "valence": -0.5})
    assert out == pytest.approx(
        {"expressed_valence": 0.1, "incongruence_arousal": 0.2, "incongruence_valence": 0.6}
    )
    assert incongruence({"text_valence": -0.5}, {"arousal": 3.0}) == {
        "expressed_valence": -0.5,
        "incongruence_arousal": 0.0,
    }
