"""Any river classifier as the learner, by configuration; the online model as a river classifier."""

import numpy as np
import pytest
from river import evaluate, metrics, multiclass, naive_bayes, tree

import emostream as es
from emostream.cli import main
from emostream.errors import ModelError
from emostream.labels import LabelConfig
from emostream.models.config import ModelConfig
from emostream.models.learners import build_classifier
from emostream.models.online import OnlineStateModel

THREE = {"classes": ["calm", "stress", "amusement"], "map": {"baseline": "calm"}}
PIPELINE = """
[pipeline]
name = "river"
[window]
length_s = 60.0
hop_s = 10.0
[[sources]]
device = "synthetic-wearer"
speed = 0.0
duration_s = 360.0
[features.hrv]
[features.eda]
[model]
{model}
[labels]
classes = ["calm", "stress", "amusement"]
map = {{ baseline = "calm" }}
"""


def config(**model) -> ModelConfig:
    return ModelConfig.from_tables(model, THREE)


def test_a_river_classifier_is_built_from_its_name_and_params():
    built = build_classifier(
        config(learner="river:tree.HoeffdingTreeClassifier", learner_params={"grace_period": 50})
    )
    assert isinstance(built, tree.HoeffdingTreeClassifier) and built.grace_period == 50
    assert isinstance(
        build_classifier(config(learner="river:naive_bayes.GaussianNB")), naive_bayes.GaussianNB
    )


def test_a_binary_river_classifier_is_wrapped_one_vs_rest_for_three_classes():
    built = build_classifier(config(learner="river:linear_model.LogisticRegression"))
    assert isinstance(built, multiclass.OneVsRestClassifier)
    two = ModelConfig.from_tables({"learner": "river:linear_model.LogisticRegression"}, {})
    assert not isinstance(build_classifier(two), multiclass.OneVsRestClassifier)


@pytest.mark.parametrize(
    ("model", "key", "says"),
    [
        (
            'learner = "river:linear_model.LinearRegression"',
            "model.learner",
            "not a river classifier",
        ),
        ('learner = "river:os.path"', "model.learner", "river has no module 'os'"),
        ('learner = "river:nothing.Here"', "model.learner", "river has no module 'nothing'"),
        ('learner = "sklearn.svm.SVC"', "model.learner", "'river:<module>.<Class>'"),
        ('learner = "river:naive_bayes._private"', "model.learner", "give 'river:"),
        (
            'learner = "river:naive_bayes.GaussianNB"\nlearner_params = { nope = 1 }',
            "model.learner_params",
            "nope",
        ),
        ('learner = "logistic"\nlearner_params = { l2 = 1 }', "model.learner_params", "river:"),
    ],
)
def test_a_wrong_learner_is_a_config_error_naming_file_and_key(tmp_path, capsys, model, key, says):
    path = tmp_path / "p.toml"
    path.write_text(PIPELINE.format(model=model))
    code = main(["demo", "--pipeline", str(path), "--no-record", "--no-lsl"])
    err = capsys.readouterr().err
    assert code == 2 and "p.toml" in err and f"key '{key}'" in err and says in err
    assert "Traceback" not in err


def test_a_river_learner_learns_in_a_pipeline(tmp_path):
    pipeline = es.Pipeline(
        window={"length_s": 60.0, "hop_s": 10.0},
        features=["hrv", "eda"],
        model={"learner": "river:naive_bayes.GaussianNB"},
        labels=THREE,
    )
    recording = es.simulate(seed=4, protocol="baseline:120,stress:120,amusement:120")
    _, predictions = pipeline.process(recording)
    assert pipeline.model.n_trained > 0
    assert set(predictions["state"]) - {"unknown"}
    assert predictions["model_version"].iloc[-1].startswith("river:naive_bayes.GaussianNB-")


def test_a_river_learner_is_kept_in_a_model_file_only_as_an_opted_in_pickle(tmp_path):
    path = tmp_path / "m.emo"
    plain = OnlineStateModel(config(learner="river:naive_bayes.GaussianNB"), config_hash="h")
    with pytest.raises(ModelError, match="allow_pickle = true"):
        plain.save(path)
    opted = config(learner="river:naive_bayes.GaussianNB", allow_pickle=True)
    model = OnlineStateModel(opted, config_hash="h")
    model.learn_one({"hr_z": 1.0}, "stress")
    model.save(path)
    with pytest.raises(ModelError, match="pickle"):
        OnlineStateModel.load(path, opted, config_hash="h")
    back = OnlineStateModel.load(path, opted, config_hash="h", trust_pickle=True)
    assert back.predict_proba_one({"hr_z": 1.0}) == model.predict_proba_one({"hr_z": 1.0})


def test_the_online_model_speaks_rivers_classifier_api():
    labels = LabelConfig(classes=("calm", "stress"))
    model = OnlineStateModel(ModelConfig(labels=labels, smoothing_s=0.0), config_hash="h")
    assert model.predict_proba_one({"hr_z": 2.0}) == {"calm": 0.5, "stress": 0.5}
    for _ in range(20):
        assert model.learn_one({"hr_z": -1.0}, "calm") is None
        model.learn_one({"hr_z": 1.0}, "stress")
    assert model.predict_one({"hr_z": 2.0}) == "stress"
    assert model.predict_one({"hr_z": -2.0}) == "calm"
    proba = model.predict_proba_one({"hr_z": 2.0})
    assert proba["stress"] > 0.5 and sum(proba.values()) == pytest.approx(1.0)
    with pytest.raises(ModelError, match="not in the label set"):
        model.learn_one({"hr_z": 1.0}, "bored")


def test_rivers_progressive_validation_takes_the_online_model():
    labels = LabelConfig(classes=("calm", "stress"))
    model = OnlineStateModel(ModelConfig(labels=labels, smoothing_s=0.0), config_hash="h")
    rng = np.random.default_rng(0)
    y = rng.choice(["calm", "stress"], size=300)
    x = np.where(y == "stress", 1.0, -1.0) + rng.normal(0.0, 0.3, size=300)
    stream = [({"hr_z": float(v)}, str(label)) for v, label in zip(x, y, strict=True)]
    accuracy = evaluate.progressive_val_score(stream, model, metrics.Accuracy())
    assert accuracy.get() > 0.9
    assert model.n_trained == 300
