"""Many wearers in one run: `[[wearers]]` in a pipeline file or a cohort file, validated strictly
(exit 2, the message naming the file and the key)."""

from pathlib import Path

import pytest

from emostream import bundled
from emostream.cli import build_parser, main
from emostream.commands.run import run_wearers
from emostream.pipeline.config import load_pipeline
from emostream.pipeline.wearers import load_live, spread_window_ends

PIPELINE = """
[pipeline]
name = "room"
[window]
length_s = 30.0
hop_s = 1.0
[[sources]]
device = "lsl-generic"
kinds = ["ECG"]
name = "SynthECG-{slot}"
[[sources]]
device = "lsl-generic"
kinds = ["EDA"]
name = "SynthEDA-{slot}"
[features.hrv]
[features.eda]
"""
WEARERS = """
[[wearers]]
subject = "P01"
model = "P01.emo"
[[wearers]]
subject = "P02"
consent = "record,research"
[[wearers]]
subject = "P03"
slot = "door"
sources = [{ source_id = "lab:amp7:ecg" }, { name = "EDA-door", resolve_timeout_s = 9.0 }]
"""


def write(tmp_path: Path, text: str, name: str = "room.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_wearers_in_a_pipeline_file_get_slots_sources_models_and_consent(tmp_path):
    path = write(tmp_path, PIPELINE + WEARERS)
    config, wearers = load_live(path)
    assert [w.slot for w in wearers] == ["w01", "w02", "door"]
    assert [w.subject for w in wearers] == ["P01", "P02", "P03"]
    assert [s.name for s in wearers[0].config.sources] == ["SynthECG-w01", "SynthEDA-w01"]
    assert [s.name for s in wearers[1].config.sources] == ["SynthECG-w02", "SynthEDA-w02"]
    door = wearers[2].config.sources
    assert (door[0].source_id, door[0].name) == ("lab:amp7:ecg", "SynthECG-door")
    assert (door[1].name, door[1].resolve_timeout_s, door[1].kinds) == ("EDA-door", 9.0, ("EDA",))
    assert wearers[0].model_path == Path("P01.emo") and wearers[1].model_path is None
    assert wearers[1].consent == "record,research"
    # who wears the pipeline is not part of it: same hash as without [[wearers]]
    assert config.config_hash == load_pipeline(write(tmp_path, PIPELINE, "p.toml")).config_hash
    assert all(w.config.config_hash == config.config_hash for w in wearers)


def test_spread_wearers_end_their_windows_one_after_another_within_a_hop(tmp_path):
    text = PIPELINE.replace("hop_s = 1.0", "hop_s = 2.0\noffset_s = 0.5")
    config, wearers = load_live(write(tmp_path, text + WEARERS))
    spread = spread_window_ends(wearers)
    assert [w.config.window.offset_s for w in spread] == pytest.approx([0.5, 1.1666667, 1.8333333])
    assert all(w.config.window.hop_s == 2.0 for w in spread)
    # the pipeline is the same one: a model saved by any wearer loads for any other
    assert {w.config.config_hash for w in spread} == {config.config_hash}
    four = spread_window_ends((*wearers, wearers[0]))
    assert [w.config.window.offset_s for w in four] == [0.5, 1.0, 1.5, 0.0]  # wraps at the hop


@pytest.mark.parametrize(
    ("flags", "offsets"), [((), [0.0, 1 / 3, 2 / 3]), (("--aligned-windows",), [0.0] * 3)]
)
def test_run_spreads_its_wearers_unless_told_to_align_them(tmp_path, flags, offsets):
    path = write(tmp_path, PIPELINE + WEARERS)
    args = build_parser().parse_args(["run", str(path), *flags])
    _, wearers = run_wearers(args)
    assert [w.config.window.offset_s for w in wearers] == pytest.approx(offsets)


def test_a_cohort_file_names_a_pipeline_relative_to_itself(tmp_path):
    write(tmp_path, PIPELINE, "room.toml")
    cohort = write(tmp_path, '[cohort]\npipeline = "room.toml"\n' + WEARERS, "cohort.toml")
    config, wearers = load_live(cohort)
    assert config.meta.name == "room" and len(wearers) == 3
    assert load_live(write(tmp_path, PIPELINE, "solo.toml"))[1] == ()


def test_the_bundled_classroom_pipeline_has_three_wearers():
    config, wearers = load_live(bundled.bundled_dir("pipelines") / "lsl-classroom.toml")
    assert [w.subject for w in wearers] == ["P01", "P02", "P03"]
    assert wearers[2].config.sources[2].name == "SynthMarkers-w03" and config.has_model


@pytest.mark.parametrize(
    ("text", "key", "hint"),
    [
        (WEARERS.replace('"P02"', '"Jane Doe"'), "wearers[1].subject", "pseudonym"),
        (WEARERS.replace('"P02"', '"P01"'), "wearers[1].subject", "same subject as wearers[0]"),
        (WEARERS.replace('slot = "door"', 'slot = "P01"'), "wearers[2].slot",
         "must not be a subject id"),
        (WEARERS.replace('slot = "door"', 'slot = "w01"'), "wearers[2].slot",
         "same slot as wearers[0]"),
        (WEARERS.replace('slot = "door"', 'slot = "a b"'), "wearers[2].slot", "letters and digits"),
        (WEARERS.replace('consent = "record,research"', 'model = "P01.emo"'),
         "wearers[1].model", "same model as wearers[0]"),
        (WEARERS.replace('"EDA-door"', '"SynthEDA-w02"'), "wearers[2].sources[1]",
         "same source as wearers[1].sources[1]"),
        (WEARERS.replace('{ name = "EDA-door", resolve_timeout_s = 9.0 }', ""),
         "wearers[2].sources", "one table per pipeline [[sources]] entry (2)"),
        (WEARERS.replace('name = "EDA-door"', 'kinds = ["ECG"]'),
         "wearers[2].sources[1].kinds", "set by the pipeline"),
        (WEARERS.replace("resolve_timeout_s = 9.0", "resolve_timout_s = 9.0"),
         "wearers[2].sources[1].resolve_timout_s", "did you mean 'resolve_timeout_s'"),
        (WEARERS.replace('model = "P01.emo"', 'modle = "P01.emo"'), "wearers[0].modle",
         "unknown key"),
        ("wearers = []\n", "wearers", "non-empty list"),
    ],
)  # fmt: skip
def test_bad_wearers_exit_2_naming_file_and_key(tmp_path, capsys, text, key, hint):
    if text.startswith("wearers ="):
        path = write(tmp_path, text + PIPELINE)
    else:
        path = write(tmp_path, PIPELINE + text)
    code = main(["run", str(path), "--no-record", "--duration", "1"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert f"{path}: key '{key}'" in err and hint in err and "Traceback" not in err


def test_a_lone_lsl_type_query_cannot_serve_two_wearers(tmp_path, capsys):
    text = PIPELINE.replace('name = "SynthECG-{slot}"\n', "").replace(
        'name = "SynthEDA-{slot}"\n', ""
    )
    path = write(tmp_path, text + '[[wearers]]\nsubject = "A1"\n[[wearers]]\nsubject = "A2"\n')
    assert main(["run", str(path), "--no-record"]) == 2
    assert "key 'wearers[1].sources[0]': same source as wearers[0]" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("cohort", "key", "hint"),
    [
        ('[cohort]\npipeline = "nope.toml"\n', "cohort.pipeline", "nope.toml: file not found"),
        ('[cohort]\npipeline = "room.toml"\nextra = 1\n', "cohort", "one key"),
        ('[cohort]\npipeline = "room.toml"\n[window]\n', "window", "unknown table"),
        ('[cohort]\npipeline = "room.toml"\n', "wearers", "needs [[wearers]]"),
        ('[cohort]\npipeline = "both.toml"\n' + WEARERS, "cohort.pipeline", "its own [[wearers]]"),
    ],
)
def test_bad_cohort_files_exit_2(tmp_path, capsys, cohort, key, hint):
    write(tmp_path, PIPELINE, "room.toml")
    write(tmp_path, PIPELINE + WEARERS, "both.toml")
    path = write(tmp_path, cohort, "cohort.toml")
    code = main(["run", str(path), "--no-record"])
    err = capsys.readouterr().err
    assert code == 2 and hint in err and "Traceback" not in err, err
    assert f"key '{key}'" in err


def test_subject_and_model_flags_are_refused_with_wearers(tmp_path, capsys):
    path = write(tmp_path, PIPELINE + WEARERS)
    assert main(["run", str(path), "--subject", "P09", "--no-record"]) == 2
    assert "--subject or --model" in capsys.readouterr().err
