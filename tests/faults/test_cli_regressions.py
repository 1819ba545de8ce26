"""Careless or hostile CLI input that once gave a traceback or a silent wrong result: each now
exits 2 (usage/config) or 1 (data) with a message naming the file and the key or argument."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from scipy.io import wavfile

from emostream.bundled import bundled_dir
from emostream.cli import main
from emostream.consent import HOW_TO_CONSENT, parse_scope
from emostream.labels import LabelConfig, LabelTracker
from emostream.pipeline.config import load_pipeline

SYNTHETIC = """
[pipeline]
name = "t"
[window]
length_s = 30.0
hop_s = 5.0
[[sources]]
device = "{device}"
speed = 0.0
duration_s = 60.0
[features.hrv]
"""
VOICE = """
[pipeline]
name = "v"
[window]
length_s = 4.0
hop_s = 2.0
[features.voice]
"""


def cli(capsys, *argv) -> tuple[int, str]:
    code = main([str(a) for a in argv])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


def pipeline(tmp_path: Path, text: str = SYNTHETIC, device: str = "synthetic-wearer") -> Path:
    path = tmp_path / "p.toml"
    path.write_text(text.replace("{device}", device))
    return path


def wav(tmp_path: Path, fs_hz: int, seconds: float = 8.0) -> Path:
    path = tmp_path / f"speech{fs_hz}.wav"
    t = np.arange(int(fs_hz * seconds)) / fs_hz
    wavfile.write(path, fs_hz, (8000 * np.sin(2 * np.pi * 150 * t)).astype(np.int16))
    return path


def test_non_utf8_pipeline_is_named(tmp_path, capsys):
    path = tmp_path / "p.toml"
    path.write_bytes(b'[pipeline]\nname = "\xff\xfe"\n')
    code, err = cli(capsys, "demo", "--pipeline", path, "--no-lsl")
    assert code == 2 and f"{path}: not UTF-8" in err


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ("length_s = 1e12", "window.length_s"),
        ("length_s = inf", "window.length_s"),
        ("length_s = nan", "window.length_s"),
        ("length_s = -30.0", "window.length_s"),
        ("hop_s = 0.0", "window.hop_s"),
        ("hop_s = nan", "window.hop_s"),
        ("duration_s = -60.0", "sources[0].duration_s"),
        ("speed = inf", "sources[0].speed"),
    ],
)
def test_out_of_range_values_exit_2_naming_file_and_key(tmp_path, capsys, line, key):
    name = line.split(" = ")[0]
    text = re.sub(rf"^{name} = .*$", line, SYNTHETIC, count=1, flags=re.M)
    path = pipeline(tmp_path, text)
    code, err = cli(capsys, "demo", "--pipeline", path, "--no-lsl", "--no-record")
    assert code == 2 and str(path) in err and f"key '{key}'" in err


def test_low_rate_wav_through_voice_is_a_clear_data_error(tmp_path, capsys):
    code, err = cli(
        capsys, "process", wav(tmp_path, 100), "--pipeline", pipeline(tmp_path, VOICE),
        "--out", tmp_path / "o", "--quiet",
    )  # fmt: skip
    assert code == 1 and "speech100" in err and "too slow for voice analysis" in err


def _e4_folder(root: Path, start_s: str) -> Path:
    root.mkdir()
    for name, fs_hz, n_cols in (("BVP", 64, 1), ("EDA", 4, 1), ("TEMP", 4, 1)):
        rows = [",".join([start_s] * n_cols), ",".join([str(fs_hz)] * n_cols)]
        rows += ["1.0"] * (fs_hz * 90)
        (root / f"{name}.csv").write_text("\n".join(rows) + "\n")
    return root


@pytest.mark.parametrize("start_s", ["1e300", "inf", "nan", "-5"])
def test_e4_absurd_start_time_names_the_file(tmp_path, capsys, start_s):
    folder = _e4_folder(tmp_path / "e4", start_s)
    code, err = cli(capsys, "process", folder, "--out", tmp_path / "o", "--quiet")
    assert code == 1 and "BVP.csv" in err and "not a unix time" in err


def test_e4_files_starting_far_apart_are_refused(tmp_path, capsys):
    folder = _e4_folder(tmp_path / "e4", "1600000000")
    eda = folder / "EDA.csv"
    eda.write_text(eda.read_text().replace("1600000000", "1700000000", 1))
    code, err = cli(capsys, "process", folder, "--out", tmp_path / "o", "--quiet")
    assert code == 1 and "EDA.csv" in err and "within a day" in err


def test_reused_output_folder_is_refused_or_cleared_with_overwrite(tmp_path, capsys):
    audio, out = wav(tmp_path, 16_000), tmp_path / "out"
    with_model = pipeline(tmp_path, VOICE + "[model]\n")
    assert cli(capsys, "process", audio, "--pipeline", with_model, "--out", out, "--quiet")[0] == 0
    assert (out / "predictions.parquet").exists()
    without_model = tmp_path / "features-only.toml"
    without_model.write_text(VOICE)
    code, err = cli(capsys, "process", audio, "--pipeline", without_model, "--out", out)
    assert code == 2 and "--overwrite" in err and "predictions.parquet" in err
    args = ("process", audio, "--pipeline", without_model, "--out", out, "--quiet")
    assert cli(capsys, *args, "--overwrite")[0] == 0
    assert not (out / "predictions.parquet").exists()  # the earlier run's predictions are gone
    assert pq.read_table(out / "features.parquet").num_rows > 0


def test_process_model_that_does_not_exist_is_refused(tmp_path, capsys):
    code, err = cli(
        capsys, "process", wav(tmp_path, 16_000), "--pipeline", pipeline(tmp_path, VOICE + "[model]\n"),
        "--out", tmp_path / "o", "--model", tmp_path / "missing.emo",
    )  # fmt: skip
    assert code == 2 and "missing.emo: no such file" in err
    assert not (tmp_path / "o").exists()


def test_run_model_path_is_checked_before_the_session(tmp_path, capsys):
    (tmp_path / "a-file").write_text("")
    path = pipeline(tmp_path, SYNTHETIC + "[model]\n")
    args = ("run", path, "--no-lsl", "--no-record", "--model")
    code, err = cli(capsys, *args, tmp_path / "a-file" / "model.emo")
    assert code == 2 and "cannot write in" in err and "windows" not in err
    trees = pipeline(tmp_path, SYNTHETIC + '[model]\nlearner = "arf"\n')
    code, err = cli(capsys, "run", trees, "--no-lsl", "--no-record", "--model", tmp_path / "m.emo")
    assert code == 2 and "key 'model.learner'" in err and "allow_pickle = true" in err


def test_profile_channels_not_matching_the_source_is_no_silent_success(tmp_path, capsys):
    text = (bundled_dir("devices") / "synthetic-wearer.toml").read_text()
    text = text.replace('name = "synthetic-wearer"', 'name = "two-ecg"', 1)
    text = text.replace(
        'channels = ["ECG"]\nunits = ["millivolts"]',
        'channels = ["ECG", "X"]\nunits = ["millivolts", "mV"]',
    )
    (tmp_path / "two-ecg.toml").write_text(text)
    path = pipeline(tmp_path, device=str(tmp_path / "two-ecg.toml"))
    code, err = cli(capsys, "demo", "--pipeline", path, "--no-lsl", "--no-record")
    assert code == 1 and "no windows" in err and "2 (ECG, X)" in err


def test_profile_without_streams_is_refused(tmp_path, capsys):
    (tmp_path / "empty.toml").write_text(
        '[device]\nname = "empty"\ndescription = ""\ntransport = "synthetic"\n'
        'driver = "synthetic-wearer"\n'
    )
    path = pipeline(tmp_path, device=str(tmp_path / "empty.toml"))
    code, err = cli(capsys, "demo", "--pipeline", path, "--no-lsl", "--no-record")
    assert code == 2 and "key 'sources[0].device'" in err and "no [[streams]]" in err


def test_extractor_without_input_is_refused(tmp_path, capsys):
    path = pipeline(tmp_path, SYNTHETIC + "[features.voice]\n")
    code, err = cli(capsys, "demo", "--pipeline", path, "--no-lsl", "--no-record")
    assert code == 2 and "key 'features.voice'" in err and "Audio" in err
    folder = _e4_folder(tmp_path / "e4", "1600000000")
    code, err = cli(
        capsys, "process", folder, "--pipeline", pipeline(tmp_path, VOICE), "--out", tmp_path / "o"
    )
    assert code == 2 and "reads Audio streams" in err and "--pipeline" in err


def test_unknown_kinds_are_refused(tmp_path, capsys):
    code, err = cli(capsys, "simulate", "--kinds", "FOO")
    assert code == 2 and "'FOO'" in err and "ECG" in err
    path = pipeline(tmp_path, SYNTHETIC.replace("speed = 0.0", 'speed = 0.0\nkinds = ["FOO"]'))
    code, err = cli(capsys, "demo", "--pipeline", path, "--no-lsl", "--no-record")
    assert code == 2 and "key 'sources[0].kinds'" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["simulate", "--duration", "-1"],
        ["simulate", "--speed", "0"],
        ["demo", "--duration", "-5"],
        ["demo", "--duration", "nan"],
        ["run", "demo", "--duration", "-5"],
        ["replay", "x.xdf", "--start", "-1"],
        ["streams", "--timeout", "-1"],
        ["demo", "--seed", "-1"],
    ],
)
def test_negative_or_non_finite_numbers_are_refused(capsys, argv):
    code, err = cli(capsys, *argv)
    option = next(a for a in argv if a.startswith("--"))
    assert code == 2 and f"argument {option}: must be in" in err


def test_subject_with_trailing_newline_is_refused(capsys):
    code, err = cli(capsys, "run", "demo", "--subject", "P07\n", "--no-record")
    assert code == 2 and "pseudonym" in err


def test_consent_advice_is_accepted_by_the_parser(tmp_path):
    advice = re.search(r"\[record\] (consent = .+?)\. ", HOW_TO_CONSENT)
    assert advice is not None
    path = pipeline(tmp_path, SYNTHETIC + f"[record]\n{advice.group(1)}\n")
    assert parse_scope(load_pipeline(path).record.consent) == ("record",)


def test_a_flood_of_malformed_markers_gives_few_warnings(caplog):
    tracker = LabelTracker(LabelConfig())
    markers = [(i / 2000.0, "phase:oops") for i in range(20_000)]  # 2000 a second, 10 s
    with caplog.at_level(logging.WARNING, logger="emostream.labels"):
        tracker.feed(markers)
    assert tracker.counts.malformed == 20_000  # every one counted
    assert 5 <= len(caplog.records) <= 10
    assert "(20000 so far)" not in caplog.text and "(10000 so far)" in caplog.text


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["demo", "--record", ""], "argument --record: must name a folder"),
        (["demo", "--record", "x", "--no-record"], "not allowed with argument --record"),
    ],
)
def test_record_options_are_checked(capsys, argv, message):
    code, err = cli(capsys, *argv)
    assert code == 2 and message in err


def test_nul_byte_in_an_argument_is_a_usage_error(capsys):
    code, err = cli(capsys, "process", "speech.wav", "--out", "o\x00ut")
    assert code == 2 and "NUL byte" in err


MODEL = SYNTHETIC + "[model]\n[model.active]\n[labels]\n"


@pytest.mark.parametrize(
    ("table", "line", "key"),
    [
        ("[features.hrv]", "min_quality = 1.5", "features.hrv.min_quality"),
        ("[features.hrv]", "min_coverage = -0.1", "features.hrv.min_coverage"),
        ("[model]", "learning_rate = 0", "model.learning_rate"),
        ("[model]", "shrinkage = 2.0", "model.shrinkage"),
        ("[model]", "z_clip = 0.0", "model.z_clip"),
        ("[model]", 'z_squash = "cube"', "model.z_squash"),
        ("[model]", "max_pending_windows = 0", "model.max_pending_windows"),
        ("[model]", "min_baseline_windows = 1", "model.min_baseline_windows"),
        ("[model]", "smoothing_s = -1.0", "model.smoothing_s"),
        ("[model.active]", "span_s = 0.0", "model.active.span_s"),
        ("[model.active]", "budget = -1", "model.active.budget"),
        ("[model.active]", "confidence_below = -0.5", "model.active.confidence_below"),
        ("[labels]", "min_overlap = 0.0", "labels.min_overlap"),
        ("[labels]", 'classes = ["calm"]', "labels.classes"),
        ("[labels]", "valence = { calm = 3.0, stress = -1.0 }", "labels.valence.calm"),
    ],
)
def test_invalid_values_in_every_table_exit_2_naming_the_key(tmp_path, capsys, table, line, key):
    path = pipeline(tmp_path, MODEL.replace(table, f"{table}\n{line}", 1))
    code, err = cli(capsys, "demo", "--pipeline", path, "--no-lsl", "--no-record")
    assert code == 2 and str(path) in err and f"key '{key}'" in err


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("rate_hz = 1.0", "rate_hz = -1.0", "streams[0].rate_hz"),
        ('channel_format = "float32"', 'channel_format = "float128"', "streams[0]"),
        ("[device]", "[device]\nlatency_s = -0.5", "device.latency_s"),
    ],
)
def test_invalid_device_profile_values_exit_2_naming_the_key(tmp_path, capsys, old, new, key):
    profile = tmp_path / "strap.toml"
    profile.write_text(PROFILE.replace(old, new))
    path = pipeline(tmp_path, SYNTHETIC, device=str(profile))
    code, err = cli(capsys, "demo", "--pipeline", path, "--no-lsl", "--no-record")
    assert code == 2 and str(profile) in err and f"key '{key}'" in err


PROFILE = """
[device]
name = "strap"
description = "an LSL strap"
transport = "lsl"
driver = "lsl"
[[streams]]
kind = "ECG"
name = "Strap-ECG"
channels = ["ecg"]
units = ["uV"]
rate_hz = 1.0
channel_format = "float32"
"""
