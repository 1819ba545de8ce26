"""Face features: per-window mean/max/active fraction, low confidence and missing → absent."""

from __future__ import annotations

import numpy as np
import pytest

from emostream.core.spec import StreamSpec
from emostream.errors import ConfigError
from emostream.features.engine import FeatureEngine
from emostream.features.face import (
    ACTION_UNITS,
    EXPRESSIONS,
    FaceExtractor,
    FaceLayout,
    FaceParams,
    face_channels,
    face_features,
)
from emostream.features.registry import EXTRACTORS, parse_feature_tables
from emostream.windowing import WindowConfig

from .conftest import run_windows

FPS = 30.0


def face_spec(channels: tuple[str, ...]) -> StreamSpec:
    return StreamSpec("Face", "test-face", channels, ("",) * len(channels), FPS, "test-face")


def test_openface_csv_names_and_expressions_are_recognised():
    layout = FaceLayout.of((" confidence", "AU01_r", "AU12_r", "au45", "happiness", "frame"))
    assert layout.confidence == 0
    assert layout.stems == ("face_au01", "face_au12", "face_au45", "face_happiness")
    assert layout.is_au == (True, True, True, False)


def test_mean_max_active_on_hand_made_frames():
    layout = FaceLayout.of(("confidence", "AU12", "happiness"))
    data = np.array(
        [
            [0.95, 0.0, 0.1],
            [0.95, 2.0, 0.7],
            [0.95, 4.0, 0.9],
            [0.10, 5.0, 1.0],  # low confidence: not a face
            [0.99, np.nan, 0.2],  # broken frame
        ]
    )
    out = face_features(data, layout, FaceParams(min_quality=0.5))
    assert out.quality["face"] == pytest.approx(3 / 5)
    assert out.values["face_au12_mean"] == pytest.approx(2.0)
    assert out.values["face_au12_max"] == 4.0
    assert out.values["face_au12_active"] == pytest.approx(2 / 3)
    assert out.values["face_happiness_mean"] == pytest.approx(1.7 / 3)
    assert out.values["face_happiness_active"] == pytest.approx(2 / 3)


def test_low_confidence_face_gives_absent_features():
    layout = FaceLayout.of(face_channels())
    data = np.full((60, len(face_channels())), 1.5)
    data[:, 0] = 0.3
    out = face_features(data, layout, FaceParams())
    assert out.values == {}
    assert out.quality["face"] == 0.0
    assert "quality_face" in out.reasons["face"]


def test_no_frames_gives_absent_features():
    out = face_features(
        np.zeros((0, 3)), FaceLayout.of(("confidence", "AU06", "AU12")), FaceParams()
    )
    assert out.values == {} and out.reasons["face"]


def test_stream_without_face_channels_is_config_error():
    with pytest.raises(ConfigError) as err:
        FaceExtractor(face_spec(("confidence", "x", "y")), FaceParams())
    assert err.value.key == "features.face"


def test_registered_and_bound_to_face_stream_through_the_engine():
    assert EXTRACTORS["face"] is FaceExtractor
    params = parse_feature_tables({"face": {"min_confidence": 0.5}}, None)
    channels = face_channels()
    spec = face_spec(channels)
    n = int(50 * FPS)
    ts = 100.0 + np.arange(n) / FPS
    data = np.zeros((n, len(channels)), dtype=np.float32)
    data[:, 0] = 0.9
    smile = ts > 120.0
    data[smile, 1 + ACTION_UNITS.index("AU12")] = 3.0
    data[smile, 1 + len(ACTION_UNITS) + EXPRESSIONS.index("happiness")] = 0.8
    data[ts > 135.0, 0] = 0.0  # the face turns away
    engine = FeatureEngine(params, {"face": spec})
    rows = run_windows(engine, {"face": (spec, ts, data)}, WindowConfig(10.0, 1.0))
    by_end = {round(r.t_end): r for r in rows}
    assert by_end[115].values["face_au12_mean"] == 0.0
    assert by_end[130].values["face_au12_mean"] == pytest.approx(3.0)
    assert by_end[130].values["face_happiness_active"] == 1.0
    assert by_end[125].values["face_au12_active"] == pytest.approx(0.5, abs=0.01)
    assert "face_au12_mean" not in by_end[148].values
    assert "quality_face" in by_end[148].reasons["face"]
