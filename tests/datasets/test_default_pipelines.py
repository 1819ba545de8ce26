"""Each WESAD label set gets its bundled pipeline; that pipeline's model reads only features
its extractors produce, and a model trained with it loads into it for a live run."""

from __future__ import annotations

import pytest

from emostream.cli import main
from emostream.datasets.registry import prepare
from emostream.pipeline.build import build_model
from emostream.pipeline.config import load_pipeline

from .conftest import write_e4_subject

#: the synthetic E4 export has no HR.csv, so the E4's own heart rate is never computed
NO_DEVICE_HR = {"hr_device_bpm", "hr_device_sd_bpm"}


@pytest.fixture(scope="module")
def subject_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("wesad")
    write_e4_subject(root / "data", "S2", seed=5)
    return root


@pytest.mark.parametrize(
    ("label_set", "pipeline", "not_in_export"),
    [(None, "e4-wrist-3class", set()), ("binary", "e4-wrist", NO_DEVICE_HR)],
)
def test_the_label_set_picks_its_pipeline_and_every_input_is_computed(
    subject_root, label_set, pipeline, not_in_export
):
    config, model_config, (subject,) = prepare(
        subject_root / "data", "wesad", label_set=label_set, cache_dir=subject_root / "cache"
    )
    assert config.meta.name == pipeline
    computed = {name for window in subject.windows for name in window.values}
    assert model_config.features and set(model_config.features) - computed == not_in_export


def test_an_explicit_pipeline_wins_over_the_label_set(subject_root):
    config, _, _ = prepare(
        subject_root / "data", "wesad", pipeline="e4-wrist", cache_dir=subject_root / "cache"
    )
    assert config.meta.name == "e4-wrist"


@pytest.mark.parametrize(
    ("label_set", "pipeline", "classes"),
    [
        (None, "e4-wrist-3class", ("baseline", "stress", "amusement")),
        ("binary", "e4-wrist", ("non-stress", "stress")),
    ],
)
def test_a_model_from_train_loads_into_its_pipeline_for_a_live_run(
    subject_root, tmp_path, label_set, pipeline, classes
):
    """e4-wrist-3class names WESAD's three classes; e4-wrist names none, so it takes the
    model's (its default would be calm/stress)."""
    model_path = tmp_path / "affect.emo"
    args = ["train", str(subject_root / "data"), "--format", "wesad", "--out", str(model_path)]
    args += ["--label-set", label_set] if label_set else []
    assert main([*args, "--cache-dir", str(subject_root / "cache")]) == 0
    model = build_model(load_pipeline(pipeline), model_path)
    assert model is not None and model.classes == classes
    # and the dataset's segment names still label windows live (WESAD binary: amusement is
    # non-stress; meditation is unlabelled in every label set)
    labels = model.config.labels
    assert [labels.class_of(name) for name in classes] == list(classes)
    assert labels.class_of("meditation") is None
    if label_set == "binary":
        assert labels.class_of("amusement") == labels.class_of("baseline") == "non-stress"
