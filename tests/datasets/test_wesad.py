"""WESAD loader, both layouts, on small files built in exactly those layouts."""

from __future__ import annotations

import json

import numpy as np
import pytest

from emostream.cli import main
from emostream.datasets import wesad
from emostream.errors import RecordingError

from .conftest import LEAD_S, write_e4_subject, write_pickle_subject

EXPECTED_SEGMENTS = [
    (LEAD_S, LEAD_S + 300, "baseline"),
    (LEAD_S + 300, LEAD_S + 540, "stress"),
    (LEAD_S + 540, LEAD_S + 780, "amusement"),
]


def _segments(markers):
    starts = {}
    out = []
    for t, m in markers:
        _, name, edge = m.split(":")
        if edge == "start":
            starts[name] = t
        else:
            out.append(
                (pytest.approx(starts.pop(name), abs=0.01), pytest.approx(t, abs=0.01), name)
            )
    return out


def test_pickle_layout(tmp_path):
    write_pickle_subject(tmp_path, "S2", seed=1)
    item = wesad.load_subject(tmp_path, "S2")
    streams = item.recording.streams
    assert set(streams) == {"ppg", "eda", "temp", "acc", "rsp"}
    assert streams["ppg"].spec.rate_hz == 64.0 and streams["rsp"].spec.rate_hz == 700.0
    assert np.allclose(streams["acc"].data[:, 2].mean(), 1.0, atol=0.05)  # 1/64 g units -> g
    assert _segments(item.markers) == EXPECTED_SEGMENTS


def test_e4_layout_with_questionnaire(tmp_path):
    write_e4_subject(tmp_path, "S3", seed=2)
    item = wesad.load_subject(tmp_path, "S3")
    assert {"ppg", "eda", "temp", "acc"} <= set(item.recording.streams)
    # the reading phase in the questionnaire is not a label
    assert _segments(item.markers) == EXPECTED_SEGMENTS


def test_dataset_lists_both_layouts_in_subject_order(tmp_path):
    write_pickle_subject(tmp_path, "S10", seed=1)
    write_e4_subject(tmp_path, "S2", seed=2)
    (tmp_path / "notes").mkdir()
    assert wesad.open_dataset(tmp_path).subjects == ("S2", "S10")


def test_minutes_seconds_field():
    assert wesad.read_quest.__doc__
    assert wesad._minutes_seconds("7.08", None) == 428.0
    assert wesad._minutes_seconds("50.3", None) == 3030.0
    assert wesad._minutes_seconds("12", None) == 720.0


def test_damaged_files_are_reported(tmp_path):
    folder = tmp_path / "S4"
    folder.mkdir()
    (folder / "S4.pkl").write_bytes(b"not a pickle")
    with pytest.raises(RecordingError, match=r"S4\.pkl"):
        wesad.load_subject(tmp_path, "S4")
    write_e4_subject(tmp_path, "S5", seed=3)
    (tmp_path / "S5" / "S5_quest.csv").write_text(
        "# ORDER;Base;TSST\n# START;1.00\n# END;2.00;3.00\n"
    )
    with pytest.raises(RecordingError, match=r"S5_quest\.csv"):
        wesad.load_subject(tmp_path, "S5")


PIPELINE = """
[pipeline]
name = "wesad-test"
[window]
length_s = 60.0
hop_s = 5.0
[[sources]]
device = "lsl-generic"
[features.hrv]
stream = "ppg"
[features.eda]
[model]
learner = "logistic"
# these sessions last 13 min: a baseline that counts as young for 10 min (the default) is
# too long for them
warmup_s = 60.0
"""


@pytest.fixture(scope="module")
def wesad_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("wesad")
    for k in range(3):
        write_pickle_subject(root / "data", f"S{k + 2}", seed=10 + k, chest=False)
    (root / "p.toml").write_text(PIPELINE)
    return root


def test_evaluate_wesad_end_to_end(wesad_root, capsys):
    data, pipeline = wesad_root / "data", wesad_root / "p.toml"
    code = main(["evaluate", str(data), "--format", "wesad", "--pipeline", str(pipeline), "--json"])
    assert code == 0
    out = capsys.readouterr()
    scores = json.loads(out.out)
    assert set(scores) == {"generic", "personalised", "batch"}
    for protocol in scores.values():
        assert set(protocol) == {
            "balanced_accuracy_mean",
            "balanced_accuracy_min",
            "macro_f1_mean",
            "per_subject",
        }
        assert set(protocol["per_subject"]) == {"S2", "S3", "S4"}
    # three classes: chance is 1/3; the synthetic phases differ clearly in HR, HRV and EDA
    assert scores["generic"]["balanced_accuracy_mean"] > 0.5
    assert "[3/3] S4" in out.err


def test_train_then_evaluate_with_the_model(wesad_root, capsys):
    data, pipeline = wesad_root / "data", wesad_root / "p.toml"
    model = wesad_root / "general.emo"
    args = ["--format", "wesad", "--pipeline", str(pipeline)]
    assert main(["train", str(data), *args, "--subjects", "S2,S3", "--out", str(model)]) == 0
    assert "wrote" in capsys.readouterr().out
    assert (
        main(["evaluate", str(data), *args, "--subjects", "S4", "--model", str(model), "--json"])
        == 0
    )
    scores = json.loads(capsys.readouterr().out)
    assert set(scores["generic"]["per_subject"]) == {"S4"}
    assert scores["generic"]["balanced_accuracy_mean"] > 0.5


def test_evaluate_refuses_a_model_of_another_pipeline(wesad_root, tmp_path, capsys):
    data, pipeline = wesad_root / "data", wesad_root / "p.toml"
    other = tmp_path / "other.toml"
    other.write_text(PIPELINE.replace("hop_s = 5.0", "hop_s = 20.0"))
    model = tmp_path / "m.emo"
    assert (
        main(
            [
                "train",
                str(data),
                "--format",
                "wesad",
                "--pipeline",
                str(other),
                "--subjects",
                "S2",
                "--out",
                str(model),
            ]
        )
        == 0
    )
    code = main(
        [
            "evaluate",
            str(data),
            "--format",
            "wesad",
            "--pipeline",
            str(pipeline),
            "--subjects",
            "S3",
            "--model",
            str(model),
        ]
    )
    assert code == 1
    assert "pipeline config hash" in capsys.readouterr().err
