"""Config and usage mistakes: exit status 2, a message naming the file and key, no traceback."""

import pytest

from emostream.cli import COMMANDS, main
from emostream.errors import ConfigError
from emostream.pipeline.config import load_pipeline

GOOD = """
[pipeline]
name = "t"
[window]
length_s = 30.0
hop_s = 5.0
[[sources]]
device = "synthetic-wearer"
speed = 0.0
duration_s = 60.0
[features.hrv]
"""


def run_cli(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def write(tmp_path, text):
    path = tmp_path / "p.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("mutation", "key", "hint"),
    [
        (("length_s = 30.0", "lenght_s = 30.0"), "window.lenght_s", "did you mean 'length_s'"),
        (("hop_s = 5.0", 'hop_s = "five"'), "window.hop_s", "must be a number"),
        (("hop_s = 5.0", "hop_s = 5.0\noffset_s = 5.0"), "window.offset_s", "below hop_s (5)"),
        (('device = "synthetic-wearer"', 'device = "no-such-device"'), "sources[0].device",
         "no device profile named 'no-such-device'"),
        (("[features.hrv]", "[features.hrvv]"), "features.hrvv", "unknown extractor"),
        (('name = "t"', 'nmae = "t"'), "pipeline.nmae", "unknown key"),
        (("[window]", "[windows]"), "windows", "unknown table"),
    ],
)  # fmt: skip
def test_config_mistakes_exit_2_naming_file_and_key(tmp_path, capsys, mutation, key, hint):
    path = write(tmp_path, GOOD.replace(*mutation))
    code, _, err = run_cli(capsys, "demo", "--pipeline", str(path), "--no-lsl")
    assert code == 2
    assert str(path) in err and f"key '{key}'" in err and hint in err
    assert "Traceback" not in err


def test_missing_pipeline_file_and_bad_toml(tmp_path, capsys):
    code, _, err = run_cli(capsys, "demo", "--pipeline", str(tmp_path / "nope.toml"))
    assert code == 2 and "nope.toml: file not found" in err
    path = write(tmp_path, "[pipeline\nname=")
    code, _, err = run_cli(capsys, "demo", "--pipeline", str(path))
    assert code == 2 and "not valid TOML" in err


def test_broken_device_profile_is_named(tmp_path, capsys, monkeypatch):
    (tmp_path / "devices").mkdir()
    (tmp_path / "devices" / "bad-dev.toml").write_text(
        '[device]\nname = "bad-dev"\ndescription = ""\ntransport = "usb"\ndriver = "x"\n'
    )
    monkeypatch.chdir(tmp_path)  # the working directory's devices/ holds the user's profiles
    path = write(tmp_path, GOOD.replace('"synthetic-wearer"', '"bad-dev"'))
    code, _, err = run_cli(capsys, "demo", "--pipeline", str(path))
    assert code == 2 and "bad-dev.toml" in err and "key 'device.transport'" in err


def test_bad_subject_pseudonym_is_refused(capsys):
    code, _, err = run_cli(capsys, "run", "demo", "--subject", "Jane Doe")
    assert code == 2 and "pseudonym" in err


@pytest.mark.parametrize("command", COMMANDS)
def test_every_subcommand_has_help(capsys, command):
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    assert "usage: emostream " + command in capsys.readouterr().out


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0 and capsys.readouterr().out.startswith("emostream ")


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_a_non_finite_model_setting_names_the_file_and_key(tmp_path, value):
    pipeline = tmp_path / "p.toml"
    pipeline.write_text(f'[pipeline]\nname = "p"\n[features.eda]\n[model]\nshrinkage = {value}\n')
    with pytest.raises(ConfigError) as error:
        load_pipeline(pipeline)
    assert "p.toml" in str(error.value) and "model.shrinkage" in str(error.value)
    assert "finite" in str(error.value)


@pytest.mark.parametrize(
    ("model_table", "says"),
    [
        ('learner = "map-logistic"\npersonalise = "slopes"\n', "intercepts"),  # the choices
        ('learner = "lda"\npersonalise = "intercepts"\n', "map-logistic"),  # the one learner
    ],
)
def test_a_wrong_personalise_setting_names_the_file_and_key(tmp_path, model_table, says):
    pipeline = tmp_path / "p.toml"
    pipeline.write_text(f'[pipeline]\nname = "p"\n[features.eda]\n[model]\n{model_table}')
    with pytest.raises(ConfigError) as error:
        load_pipeline(pipeline)
    message = str(error.value)
    assert "p.toml" in message and "model.personalise" in message and says in message


def test_an_extractor_is_fed_by_any_kind_it_accepts_and_refused_when_none_is_given(tmp_path):
    only_ppg = GOOD.replace("speed = 0.0", 'speed = 0.0\nkinds = ["PPG"]')
    assert "hrv" in load_pipeline(write(tmp_path, only_ppg)).features  # HRV from ECG, PPG or RR
    with pytest.raises(ConfigError) as error:
        load_pipeline(write(tmp_path, only_ppg + "[features.eda]\n"))
    assert error.value.key == "features.eda"
    assert "needs a EDA stream, but the sources give only PPG" in str(error.value)
