"""The sessions of a cohort: naming and ordering the inputs, a session that fails, the cache."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from emostream.api import Pipeline, simulate
from emostream.cohort import SessionJob, expand_inputs, process_session, session_names
from emostream.errors import RecordingError, UsageError
from emostream.formats.export import export


def test_sessions_are_named_after_their_inputs_and_told_apart_by_their_folders(tmp_path):
    for folder in ("site-a/S01", "site-b/S01", "site-b/S02"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "S3_E4_Data.zip").write_bytes(b"")
    (tmp_path / "rest.csv.gz").write_bytes(b"")
    paths = [tmp_path / p for p in ("site-a/S01", "site-b/S01", "site-b/S02")]
    paths += [tmp_path / "S3_E4_Data.zip", tmp_path / "rest.csv.gz"]
    assert session_names(paths) == ["site-a-S01", "site-b-S01", "S02", "S3_E4_Data", "rest"]


def test_an_input_given_twice_is_refused_by_name(tmp_path):
    (tmp_path / "S01").mkdir()
    with pytest.raises(UsageError, match="S01: given more than once"):
        session_names([tmp_path / "S01", tmp_path / "." / "S01"])


def test_a_folder_and_a_pattern_give_their_recordings_in_name_order(
    tmp_path, folders_out_of_name_order
):
    names = ["P07", "P02", "P11", "P10", "P01", "P05", "P12", "P03", "P09", "P04", "P08", "P06"]
    folders_out_of_name_order(tmp_path, names)
    for name in names:  # E4 export folders, as far as detection looks
        for stem in ("BVP", "EDA"):
            (tmp_path / name / f"{stem}.csv").write_text("0.0\n4.0\n")
    (tmp_path / "README.txt").write_text("cohort of a study")
    sessions, skipped = expand_inputs([str(tmp_path)])
    assert [p.name for p in sessions] == sorted(names)
    assert skipped == [tmp_path / "README.txt"]
    sessions, _ = expand_inputs([str(tmp_path / "P0*")])
    assert [p.name for p in sessions] == sorted(names)[:9]


@pytest.fixture(scope="module")
def short_and_long(tmp_path_factory) -> tuple[Path, Path]:
    """XDF files of the synthetic wearer: 40 s (less than the 60 s window of the bundled
    pipeline for XDF) and 75 s."""
    folder = tmp_path_factory.mktemp("xdf")
    paths = folder / "short.xdf", folder / "long.xdf"
    for path, duration_s in zip(paths, (40.0, 75.0), strict=True):
        export(simulate(duration_s, seed=2), path, "xdf")
    return paths


def test_a_session_shorter_than_a_window_fails_naming_its_file(short_and_long):
    short, _ = short_and_long
    with pytest.raises(RecordingError, match=f"{re.escape(str(short))}: no windows"):
        process_session(SessionJob(short, label="short"))


def test_a_damaged_cache_entry_is_computed_again(short_and_long, tmp_path):
    job = SessionJob(short_and_long[1], label="long", cache_dir=tmp_path)
    first = process_session(job)
    assert not first.cached and process_session(job).cached
    (entry,) = (tmp_path / "process").iterdir()
    (entry / "features.parquet").write_bytes(b"not a parquet file")
    again = process_session(job)
    assert not again.cached and again.result.features.equals(first.result.features)


MODEL_PIPELINE = """
[pipeline]
name = "cohort-model"
[window]
length_s = 30.0
hop_s = 5.0
[features.hrv]
[features.eda]
[model]
learner = "logistic"
[labels]
classes = ["calm", "stress"]
map = { baseline = "calm" }
"""


def test_a_changed_model_file_is_not_answered_from_the_cache(short_and_long, tmp_path):
    pipeline = tmp_path / "cohort-model.toml"
    pipeline.write_text(MODEL_PIPELINE)
    model, learned_more = tmp_path / "model.emo", tmp_path / "more.emo"
    trainer = Pipeline.from_toml(pipeline)
    trainer.process(short_and_long[1])
    trainer.save_model(model)
    trainer.process(short_and_long[1])
    trainer.save_model(learned_more)
    job = SessionJob(
        short_and_long[1], label="long", pipeline=str(pipeline), model=model, cache_dir=tmp_path
    )
    first = process_session(job)
    assert not first.cached and process_session(job).cached
    model.write_bytes(learned_more.read_bytes())  # the model file is replaced
    again = process_session(job)
    assert not again.cached
    assert not again.result.predictions.equals(first.result.predictions)
