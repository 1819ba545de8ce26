"""Cross-fitted calibration: every training subject is predicted once, by a model without it."""

from __future__ import annotations

from emostream.evaluation import calibrate
from emostream.evaluation.calibrate import CALIBRATION_FOLDS, calibrated_general
from emostream.evaluation.protocols import encode_labelled

from .conftest import model_config
from .test_protocols import SUBJECTS


def test_each_subject_is_predicted_once_by_a_model_that_never_saw_it(monkeypatch):
    config = model_config()
    encoded = {s.subject: encode_labelled(config, s, 5) for s in SUBJECTS}
    owner = {id(windows): name for name, windows in encoded.items()}
    trained_on: list[set[str]] = []
    predicted: list[tuple[str, int]] = []
    real_train, real_stream = calibrate.train_general, calibrate.stream_session

    def train(config, config_hash, data, **kwargs):
        trained_on.append({owner[id(windows)] for windows in data})
        return real_train(config, config_hash, data, **kwargs)

    def stream(model, subject, **kwargs):
        predicted.append((subject.subject, len(trained_on) - 1))
        return real_stream(model, subject, **kwargs)

    monkeypatch.setattr(calibrate, "train_general", train)
    monkeypatch.setattr(calibrate, "stream_session", stream)
    general = calibrated_general(config, "test", SUBJECTS, encoded, seed=3)
    assert trained_on[0] == set(encoded)  # the general model itself
    assert len(trained_on) == 1 + min(CALIBRATION_FOLDS, len(SUBJECTS))
    assert sorted(name for name, _ in predicted) == sorted(encoded)
    for name, model in predicted:
        assert model > 0 and name not in trained_on[model]
        assert len(trained_on[model]) >= len(SUBJECTS) - 2
    assert not general.calibration.is_identity


def test_one_subject_gives_no_calibration():
    config = model_config()
    encoded = {SUBJECTS[0].subject: encode_labelled(config, SUBJECTS[0], 5)}
    assert calibrated_general(config, "test", SUBJECTS[:1], encoded).calibration.is_identity
