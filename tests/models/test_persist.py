"""Model files: exact round trip for every learner, clear refusal of mismatched or damaged
files."""

from __future__ import annotations

import dataclasses
from collections import deque

import pytest

from emostream.errors import ModelError
from emostream.labels import LabelConfig
from emostream.models.config import DriftConfig, ModelConfig
from emostream.models.online import OnlineStateModel

from .conftest import make_session

LABELS = LabelConfig(classes=("calm", "stress"), map={"baseline": "calm", "recovery": "calm"})
PHASES = [("baseline", 300.0), ("stress", 300.0), ("recovery", 300.0), ("stress", 300.0)]
CONFIG = ModelConfig(labels=LABELS)


def trained(config: ModelConfig, tmp_path):
    """A model after one session and part of a second (general model kept), saved."""
    model = OnlineStateModel(config, config_hash="abc", feature_names=None)
    session = make_session(PHASES, seed=1)
    half = len(session) // 2
    for fv in session[: half // 2]:
        model.step(fv)
    model.new_session()  # a second session: the general model is kept and mixed in
    for fv in session[half // 2 : half]:
        model.step(fv)
    assert model.anchor is not None and model.pending
    path = tmp_path / "model.emo"
    model.save(path)
    return model, path, session[half:]


@pytest.fixture
def saved(tmp_path):
    return trained(CONFIG, tmp_path)


def assert_continues_identically(model, loaded, rest):
    """Same predictions, markers and probabilities while both go on learning."""
    assert loaded.model_version == model.model_version
    n_learned = 0
    for fv in rest:
        a, b = model.step(fv), loaded.step(fv)
        assert a.prediction == b.prediction
        assert a.markers == b.markers
        n_learned += a.n_learned
    assert n_learned > 0  # the comparison covered further learning, not prediction alone
    assert loaded.counters == model.counters
    probe = rest[-1].values
    assert loaded.predict_proba(probe) == model.predict_proba(probe)


@pytest.mark.parametrize("learner", ["map-logistic", "lda", "logistic", "softmax"])
def test_round_trip_continues_exactly(tmp_path, learner):
    # drift detection restarts on load (docs/models.md), so it is off for the exact check
    config = dataclasses.replace(CONFIG, learner=learner, drift=DriftConfig(enabled=False))
    model, path, rest = trained(config, tmp_path)
    assert path.read_bytes().count(b'"encoding": "data"') == 1
    loaded = OnlineStateModel.load(path, config, config_hash="abc")
    assert_continues_identically(model, loaded, rest)


def test_round_trip_keeps_the_inputs_recent_history(tmp_path):
    # the change inputs read windows from before the save; without them the first
    # predictions after loading would differ
    config = dataclasses.replace(CONFIG, change_s=120.0, drift=DriftConfig(enabled=False))
    model, path, rest = trained(config, tmp_path)
    assert len(model.encoder.change_history) > 10
    loaded = OnlineStateModel.load(path, config, config_hash="abc")
    assert list(loaded.encoder.change_history) == list(model.encoder.change_history)
    assert_continues_identically(model, loaded, rest)


@pytest.mark.parametrize("learner", ["arf", "hoeffding"])
def test_tree_learners_round_trip_through_the_pickle_opt_in(tmp_path, learner):
    config = dataclasses.replace(CONFIG, learner=learner, allow_pickle=True)
    model, path, rest = trained(config, tmp_path)
    with pytest.raises(ModelError, match="--trust-model-file"):
        OnlineStateModel.load(path, config, config_hash="abc")
    loaded = OnlineStateModel.load(path, config, config_hash="abc", trust_pickle=True)
    assert_continues_identically(model, loaded, rest)


def test_a_pickled_file_from_before_the_queue_continues_exactly(tmp_path, monkeypatch):
    """Such files hold their waiting windows as a deque; they load into the queue."""
    config = dataclasses.replace(CONFIG, learner="hoeffding", allow_pickle=True)
    model, path, rest = trained(config, tmp_path)
    payload = model._payload()
    monkeypatch.setattr(model, "_payload", lambda: {**payload, "pending": deque(model.pending)})
    model.save(path)
    loaded = OnlineStateModel.load(path, config, config_hash="abc", trust_pickle=True)
    assert len(loaded.pending) == len(model.pending) > 0
    assert_continues_identically(model, loaded, rest)


@pytest.mark.parametrize("learner", ["arf", "hoeffding"])
def test_tree_learner_without_opt_in_is_not_saved(tmp_path, learner):
    model = OnlineStateModel(dataclasses.replace(CONFIG, learner=learner), config_hash="abc")
    with pytest.raises(ModelError, match="allow_pickle = true"):
        model.save(tmp_path / "tree.emo")
    assert not (tmp_path / "tree.emo").exists()


def test_drift_detection_restarts_on_load(saved):
    model, path, rest = saved
    loaded = OnlineStateModel.load(path, CONFIG, config_hash="abc")
    assert model._drift.width > 0 and loaded._drift.width == 0
    for fv in rest:  # everything but the drift markers continues exactly
        a, b = model.step(fv), loaded.step(fv)
        assert a.prediction == b.prediction


def test_new_session_after_load_continues_exactly(saved):
    """What `run`/`process --model` do: load, then start the wearer's session."""
    model, path, rest = saved
    loaded = OnlineStateModel.load(path, CONFIG, config_hash="abc")
    model.new_session()
    loaded.new_session()
    assert_continues_identically(model, loaded, rest)


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


def test_a_pipeline_that_names_no_classes_takes_the_files_label_set(tmp_path):
    """`run --model` on a pipeline without `[labels] classes`: the model's own label set
    (a dataset's, from `train`) is used, and the session continues exactly."""
    made_with = ModelConfig(labels=LabelConfig(classes=("baseline", "stress")))
    model, path, rest = trained(made_with, tmp_path)
    default = ModelConfig()  # a pipeline with no [labels] table: calm, stress
    with pytest.raises(ModelError, match="label set"):
        OnlineStateModel.load(path, default, config_hash="abc")
    loaded = OnlineStateModel.load(path, default, config_hash="abc", adopt_classes=True)
    assert loaded.classes == ("baseline", "stress")
    assert_continues_identically(model, loaded, rest)


def test_a_label_map_that_does_not_fit_the_files_classes_is_still_refused(saved):
    _, path, _ = saved
    labels = LabelConfig(classes=("low", "high"), map={"baseline": "low"})
    config = dataclasses.replace(CONFIG, labels=labels)
    with pytest.raises(ModelError, match="label set"):
        OnlineStateModel.load(path, config, config_hash="abc", adopt_classes=True)


def test_the_files_label_map_fills_in_the_names_the_pipeline_leaves_out(tmp_path):
    """A model trained where `baseline` and `recovery` segments meant calm keeps learning
    from them in a pipeline whose `[labels]` table maps neither (a dataset's map, from
    `train`, in a bundled pipeline), exactly as it did before it was saved."""
    config = dataclasses.replace(CONFIG, drift=DriftConfig(enabled=False))
    model, path, rest = trained(config, tmp_path)
    no_map = dataclasses.replace(config, labels=LabelConfig(classes=("calm", "stress")))
    loaded = OnlineStateModel.load(path, no_map, config_hash="abc", adopt_classes=True)
    assert loaded.config.labels.map == LABELS.map
    assert_continues_identically(model, loaded, rest)


def test_the_pipelines_own_label_map_wins_over_the_files(saved):
    _, path, _ = saved
    labels = LabelConfig(classes=("calm", "stress"), map={"recovery": ""})
    config = dataclasses.replace(CONFIG, labels=labels)
    loaded = OnlineStateModel.load(path, config, config_hash="abc")
    assert loaded.config.labels.class_of("recovery") is None  # the pipeline's: unlabelled
    assert loaded.config.labels.class_of("baseline") == "calm"  # the file's


@pytest.mark.parametrize(
    ("label_map", "message"),
    [(b'{"baseline": 1}', "'label_map' is malformed"), (b'{"tsst": "rest"}', "rest")],
)
def test_a_damaged_label_map_is_refused(saved, label_map, message):
    _, path, _ = saved
    raw = path.read_bytes()
    start = raw.index(b'"label_map": ') + len(b'"label_map": ')
    path.write_bytes(raw[:start] + label_map + raw[raw.index(b"}", start) + 1 :])
    with pytest.raises(ModelError, match=message):
        OnlineStateModel.load(path, CONFIG, config_hash="abc")


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda raw: raw[:-10], "corrupt"),
        (lambda raw: raw[:-5] + bytes(5), "corrupt"),
        (lambda raw: b"PK\x03\x04" + raw, "not an emostream model file"),
        (lambda raw: raw.replace(b'"format_version": 2', b'"format_version": 9'), "format 9"),
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
