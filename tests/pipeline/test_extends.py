"""A pipeline that `extends` another: merged table by table, lists replaced, and every mistake
named by file and key (exit status 2 from the command line)."""

from __future__ import annotations

import pytest

from emostream.cli import main
from emostream.errors import ConfigError
from emostream.pipeline.config import load_pipeline
from emostream.pipeline.wearers import load_live

BASE = """
[pipeline]
name = "base"
description = "the base"
[window]
length_s = 30.0
hop_s = 5.0
[[sources]]
device = "synthetic-wearer"
speed = 0.0
duration_s = 60.0
[features.hrv]
min_quality = 0.5
[features.eda]
[model]
learner = "map-logistic"
population_c = 1.0
features = ["hr_bpm", "eda_scl_us"]
"""


def write(folder, name, text):
    path = folder / name
    path.write_text(text)
    return path


def test_tables_merge_key_by_key_and_lists_replace(tmp_path):
    write(tmp_path, "base.toml", BASE)
    child = write(
        tmp_path,
        "child.toml",
        'extends = "base.toml"\n[pipeline]\nname = "child"\n[window]\nhop_s = 1.0\n'
        '[features.hrv]\nmin_quality = 0.2\n[model]\nfeatures = ["hr_bpm"]\n'
        '[labels]\nclasses = ["low", "high"]\n',
    )
    config = load_pipeline(child)
    assert (config.meta.name, config.meta.description) == ("child", "the base")
    assert (config.window.length_s, config.window.hop_s) == (30.0, 1.0)
    assert config.raw["features"] == {"hrv": {"min_quality": 0.2}, "eda": {}}
    assert config.model_tables == {
        "learner": "map-logistic",
        "population_c": 1.0,
        "features": ["hr_bpm"],
    }
    assert config.labels_tables == {"classes": ["low", "high"]}
    assert "extends" not in config.raw  # the hash is of what runs, not of how it was written
    assert config.path == child
    flat = write(tmp_path, "flat.toml", BASE.replace('name = "base"', 'name = "child"'))
    assert load_pipeline(flat).raw["sources"] == config.raw["sources"]


def test_an_array_of_tables_replaces_the_bases(tmp_path):
    write(tmp_path, "base.toml", BASE)
    child = write(
        tmp_path,
        "child.toml",
        'extends = "base.toml"\n[[sources]]\ndevice = "synthetic-wearer"\nspeed = 0.0\n'
        "duration_s = 120.0\n",
    )
    (source,) = load_pipeline(child).sources
    assert source.duration_s == 120.0


def test_a_bundled_name_and_a_chain_of_extends(tmp_path):
    middle = write(tmp_path, "middle.toml", 'extends = "e4-wrist-3class"\n[window]\nhop_s = 2.0\n')
    child = write(tmp_path, "child.toml", 'extends = "middle.toml"\n[pipeline]\nname = "c"\n')
    config = load_pipeline(child)
    assert config.window.hop_s == 2.0 and config.window.length_s == 60.0
    assert config.labels_tables == {"classes": ["baseline", "stress", "amusement"]}
    assert load_pipeline(middle).meta.name == "e4-wrist-3class"


def test_the_three_class_pipeline_is_e4_wrist_with_its_own_model_and_labels():
    wrist, three = load_pipeline("e4-wrist"), load_pipeline("e4-wrist-3class")
    assert three.features_hash == wrist.features_hash  # the same windows: one feature cache
    for table in ("window", "sources", "features", "outputs", "record"):
        assert three.raw.get(table) == wrist.raw.get(table)
    assert three.model_tables["change_s"] == 0.0 and wrist.model_tables["change_s"] > 0
    assert three.labels_tables and not wrist.labels_tables


@pytest.mark.parametrize(
    ("extends", "says"),
    [
        ('"missing.toml"', "missing.toml: file not found"),
        ('"no-such-pipeline"', "no pipeline file 'no-such-pipeline'"),
        ("3", "must name another pipeline file"),
        ('"child.toml"', "extends itself: child.toml -> child.toml"),
    ],
)
def test_a_bad_extends_exits_2_naming_the_file_and_key(tmp_path, capsys, extends, says):
    child = write(tmp_path, "child.toml", f'extends = {extends}\n[pipeline]\nname = "c"\n')
    assert main(["demo", "--pipeline", str(child), "--no-lsl"]) == 2
    err = capsys.readouterr().err
    assert str(child) in err and "key 'extends'" in err and says in err


def test_a_cycle_through_another_file_is_named(tmp_path):
    write(tmp_path, "a.toml", 'extends = "b.toml"\n')
    write(tmp_path, "b.toml", 'extends = "a.toml"\n')
    with pytest.raises(ConfigError, match=r"extends itself: a\.toml -> b\.toml -> a\.toml"):
        load_pipeline(tmp_path / "a.toml")


def test_a_mistake_in_the_base_names_the_base(tmp_path):
    base = write(tmp_path, "base.toml", BASE.replace("hop_s = 5.0", 'hop_s = "five"'))
    child = write(tmp_path, "child.toml", 'extends = "base.toml"\n[window]\nhop_s = 1.0\n')
    with pytest.raises(ConfigError) as error:
        load_pipeline(child)
    assert error.value.file == str(base) and error.value.key == "window.hop_s"


def test_a_mistake_in_the_override_names_the_extending_file(tmp_path):
    write(tmp_path, "base.toml", BASE)
    child = write(tmp_path, "child.toml", 'extends = "base.toml"\n[window]\nhop_s = -1.0\n')
    with pytest.raises(ConfigError) as error:
        load_pipeline(child)
    assert error.value.file == str(child) and error.value.key == "window.hop_s"


def test_wearers_run_a_pipeline_that_extends_another(tmp_path):
    """The base's sources, one per wearer (`{slot}`); the wearers in the extending file."""
    write(
        tmp_path,
        "base.toml",
        BASE.replace(
            'device = "synthetic-wearer"\nspeed = 0.0\nduration_s = 60.0',
            'device = "lsl-generic"\nkinds = ["ECG"]\nname = "ECG-{slot}"',
        ),
    )
    child = write(
        tmp_path,
        "child.toml",
        'extends = "base.toml"\n[[wearers]]\nsubject = "P01"\n[[wearers]]\nsubject = "P02"\n',
    )
    config, wearers = load_live(child)
    assert config.meta.name == "base" and [w.subject for w in wearers] == ["P01", "P02"]
    assert [w.config.sources[0].name for w in wearers] == ["ECG-w01", "ECG-w02"]
    cohort = write(
        tmp_path, "cohort.toml", '[cohort]\npipeline = "child.toml"\n[[wearers]]\nsubject = "P03"\n'
    )
    with pytest.raises(ConfigError, match="its own"):  # wearers belong in one file
        load_live(cohort)
