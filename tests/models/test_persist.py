"""Model files: exact round trip, clear refusal of mismatched or damaged files."""

from __future__ import annotations

import dataclasses

import pytest

from emostream.errors import ModelError
from emostream.labels import LabelConfig
from emostream.models.config import ModelConfig
from emostream.models.online import OnlineStateModel

from .conftest import make_session

LABELS = LabelConfig(classes=("calm", "stress"), map={"baseline": "calm", "recovery": "calm"})
PHASES = [("baseline", 300.0), ("stress", 300.0), ("recovery", 300.0), ("stress", 300.0)]
CONFIG = ModelConfig(labels=LABELS)


@pytest.fixture
def saved(tmp_path):
    model = OnlineStateModel(CONFIG, config_hash="abc", feature_names=None)
    session = make_session(PHASES, seed=1)
    half = len(session) // 2
    for fv in session[: half // 2]:
        model.step(fv)
    model.new_session()  # a second session: the general model is kept and mixed in
    for fv in session[half // 2 : half]:
        model.step(fv)
    assert model.anchor is not None
    path = tmp_path / "model.emo"
    model.save(path)
    return model, path, session[half:]


def test_round_trip_continues_exactly(saved):
    model, path, rest = saved
    loaded = OnlineStateModel.load(path, CONFIG, config_hash="abc")
    assert loaded.model_version == model.model_version
    for fv in rest:
        a, b = model.step(fv), loaded.step(fv)
        assert a.prediction == b.prediction
        assert a.markers == b.markers
    assert loaded.counters == model.counters


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"config_hash": "other"}, "pipeline config hash"),
        (
            {"config": dataclasses.replace(CONFIG, labels=LabelConfig(classes=("low", "high")))},
            "label set",
        ),
        ({"config": dataclasses.replace(CONFIG, learner="arf")}, "learner"),
        ({"feature_names": ["hr_bpm"]}, "feature names"),
    ],
)
def test_mismatched_model_is_refused(saved, kwargs, message):
    _, path, _ = saved
    args = {"config": CONFIG, "config_hash": "abc", **kwargs}
    config = args.pop("config")
    with pytest.raises(ModelError, match=message):
        OnlineStateModel.load(path, config, **args)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda raw: raw[:-10], "corrupt"),
        (lambda raw: raw[:-5] + bytes(5), "corrupt"),
        (lambda raw: b"PK\x03\x04" + raw, "not an emostream model file"),
        (lambda raw: raw.replace(b'"format_version": 1', b'"format_version": 9'), "format 9"),
        (lambda raw: raw.replace(b"{", b"[", 1), "header is corrupt"),
    ],
)
def test_damaged_file_is_refused(saved, damage, message):
    _, path, _ = saved
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(ModelError, match=message):
        OnlineStateModel.load(path, CONFIG, config_hash="abc")


def test_missing_file_is_refused(tmp_path):
    with pytest.raises(ModelError, match="not found"):
        OnlineStateModel.load(tmp_path / "nope.emo", CONFIG, config_hash="abc")
