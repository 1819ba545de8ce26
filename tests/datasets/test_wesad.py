"""WESAD loader in both official layouts, on small files built in exactly those layouts."""

from __future__ import annotations

import json
import os
import pickle
import re

import numpy as np
import pytest

from emostream.cli import main
from emostream.datasets import wesad
from emostream.errors import RecordingError, UsageError
from emostream.labels import LabelTracker
from emostream.models.config import ModelConfig

from .conftest import LEAD_S, SAM, write_e4_subject, write_pickle_subject, write_quest

EXPECTED_SEGMENTS = [
    (LEAD_S, LEAD_S + 300, "baseline"),
    (LEAD_S + 300, LEAD_S + 540, "stress"),
    (LEAD_S + 540, LEAD_S + 780, "amusement"),
]


def _segments(markers):
    starts = {}
    out = []
    for t, m in markers:
        if m.startswith("report:"):
            continue
        _, name, edge = m.split(":")
        if edge == "start":
            starts[name] = t
        else:
            out.append(
                (pytest.approx(starts.pop(name), abs=0.01), pytest.approx(t, abs=0.01), name)
            )
    return out


def _expected_reports():
    return [
        (name, pytest.approx(t_from, abs=0.01), pytest.approx(t_to, abs=0.01), *SAM[name])
        for t_from, t_to, name in EXPECTED_SEGMENTS
    ]


def _reports(item):
    names = {"Base": "baseline", "TSST": "stress", "Fun": "amusement"}
    return [(names[r.condition], r.t_from_s, r.t_to_s, r.valence, r.arousal) for r in item.reports]


def test_pickle_layout_with_the_option(tmp_path):
    write_pickle_subject(tmp_path, "S2", seed=1)
    item = wesad.open_dataset(tmp_path, trust_pickle=True).load("S2")
    streams = item.recording.streams
    assert set(streams) == {"ppg", "eda", "temp", "acc", "rsp"}
    assert streams["ppg"].spec.rate_hz == 64.0 and streams["rsp"].spec.rate_hz == 700.0
    assert np.allclose(streams["acc"].data[:, 2].mean(), 1.0, atol=0.05)  # 1/64 g units -> g
    assert _segments(item.markers) == EXPECTED_SEGMENTS
    assert item.reports == []  # no questionnaire


def test_pickle_runs_take_the_questionnaire_ratings_in_time_order(tmp_path):
    write_quest(write_pickle_subject(tmp_path, "S2", seed=1), "S2")
    item = wesad.open_dataset(tmp_path, trust_pickle=True).load("S2")
    assert _reports(item) == _expected_reports()


def test_a_pickle_naming_numpy_1_modules_loads(tmp_path):
    """The official files were written by numpy 1 (`numpy.core.multiarray._reconstruct`)."""
    folder = write_pickle_subject(tmp_path, "S2", seed=1)
    path = folder / "S2.pkl"
    data = path.read_bytes()
    assert b"numpy._core.multiarray" in data
    path.write_bytes(data.replace(b"numpy._core.multiarray", b"numpy.core.multiarray"))
    recording, labels = wesad.read_pickle(path, "S2")
    assert labels.size and set(np.unique(labels)) == {0, 1, 2, 3}
    assert recording.streams["eda"].data.shape[0] == labels.size * 4 // 700


def test_a_pickle_is_read_only_on_request(tmp_path, capsys):
    write_pickle_subject(tmp_path, "S2", seed=1)
    with pytest.raises(UsageError, match="--trust-pickle"):
        wesad.open_dataset(tmp_path)
    assert main(["evaluate", str(tmp_path), "--format", "wesad"]) == 2
    err = capsys.readouterr().err
    assert "S2" in err and "--trust-pickle" in err and "Traceback" not in err


def test_a_pickle_that_would_run_code_is_refused_even_when_trusted(tmp_path):
    ran = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {ran}",))

    folder = tmp_path / "S2"
    folder.mkdir()
    data = pickle.dumps({"signal": Payload(), "label": np.zeros(3)}, protocol=2)
    assert b"system" in data  # the file really names os.system
    (folder / "S2.pkl").write_bytes(data)
    with pytest.raises(RecordingError) as err:
        wesad.open_dataset(tmp_path, trust_pickle=True).load("S2")
    assert "S2.pkl" in str(err.value) and ".system'" in str(err.value)
    assert not ran.exists()


@pytest.mark.parametrize("zipped", [False, True])
def test_e4_layout_labels_come_from_the_label_runs(tmp_path, zipped):
    write_e4_subject(tmp_path, "S3", seed=2, zipped=zipped)
    dataset = wesad.open_dataset(tmp_path)
    item = dataset.load("S3")
    assert {"ppg", "eda", "temp", "acc"} <= set(item.recording.streams)
    # on the E4 clock: the questionnaire's (chest clock) times are not used, nor its reading
    assert _segments(item.markers) == EXPECTED_SEGMENTS
    assert _reports(item) == _expected_reports()
    reports = [(t, m) for t, m in item.markers if m.startswith("report:")]
    assert reports == [
        (pytest.approx(t_to, abs=0.01), f"report:{t_to - t_from:g}s:valence={v},arousal={a}")
        for (t_from, t_to, name), (v, a) in zip(
            EXPECTED_SEGMENTS, (SAM[n] for *_, n in EXPECTED_SEGMENTS), strict=True
        )
    ]
    names = {p.name for p in dataset.inputs["S3"]}
    assert {"S3_quest.csv", "labels_e4_unix.csv"} <= names
    assert ("S3_E4_Data.zip" in names) == zipped and ("EDA.csv" in names) != zipped


def test_raw_e4_without_the_label_runs_is_refused(tmp_path, capsys):
    write_e4_subject(tmp_path, "S2", seed=1)
    (tmp_path / "labels_e4_unix.csv").unlink()
    assert main(["evaluate", str(tmp_path), "--format", "wesad"]) == 2
    err = capsys.readouterr().err
    assert "labels_e4_unix.csv not found" in err and "chest" in err and "Traceback" not in err


def test_dataset_lists_both_layouts_in_subject_order(tmp_path):
    write_pickle_subject(tmp_path, "S10", seed=1)
    write_e4_subject(tmp_path, "S2", seed=2)
    (tmp_path / "notes").mkdir()
    assert wesad.open_dataset(tmp_path, trust_pickle=True).subjects == ("S2", "S10")


@pytest.mark.parametrize(
    ("label_set", "classes", "expected"),
    [
        ("3class", ("baseline", "stress", "amusement"), ["baseline", "stress", "amusement"]),
        ("binary", ("non-stress", "stress"), ["non-stress", "stress", "non-stress"]),
        ("4class", ("baseline", "stress", "amusement", "meditation"), None),
    ],
)
def test_label_sets(tmp_path, label_set, classes, expected):
    write_e4_subject(tmp_path, "S2", seed=1)
    dataset = wesad.open_dataset(tmp_path, label_set=label_set)
    labels = ModelConfig.from_tables(None, dataset.labels).labels
    assert labels.classes == classes
    assert labels.arousal_classes == ()  # SAM reports never become class labels
    assert labels.class_of("meditation") == ("meditation" if label_set == "4class" else None)
    tracker = LabelTracker(labels)
    spans = tracker.feed(dataset.load("S2").markers)
    assert [s.source for s in spans] == ["phase"] * 3
    assert tracker.counts.unmapped == 3  # the three SAM reports label nothing
    assert [s.label for s in spans] == (expected or ["baseline", "stress", "amusement"])


def test_label_set_and_pickle_options_are_checked(tmp_path, capsys):
    write_e4_subject(tmp_path, "S2", seed=1)
    args = ["train", str(tmp_path), "--format", "wesad", "--out", str(tmp_path / "m")]
    assert main([*args, "--label-set", "calm"]) == 2
    assert "--label-set: 'calm'" in capsys.readouterr().err
    args[3] = "stress-predict"
    assert main([*args, "--label-set", "3class"]) == 2
    assert "--label-set" in capsys.readouterr().err
    assert main([*args, "--trust-pickle"]) == 2
    assert "--trust-pickle" in capsys.readouterr().err


def test_questionnaire_ratings_are_checked(tmp_path):
    write_e4_subject(tmp_path, "S5", seed=3)
    quest = tmp_path / "S5" / "S5_quest.csv"
    text = quest.read_text()
    quest.write_text(text.replace("# DIM;3;8;;\n", ""))
    with pytest.raises(RecordingError, match=r"S5_quest\.csv.*2 '# DIM' row\(s\) for 3"):
        wesad.open_dataset(tmp_path).load("S5")
    quest.write_text(text.replace("# DIM;3;8;;", "# DIM;3;12;;"))
    with pytest.raises(RecordingError, match=r"S5_quest\.csv.*SAM ratings 1\.\.9"):
        wesad.open_dataset(tmp_path).load("S5")


def test_damaged_files_are_reported(tmp_path):
    folder = tmp_path / "S4"
    folder.mkdir()
    (folder / "S4.pkl").write_bytes(b"not a pickle")
    with pytest.raises(RecordingError, match=r"S4\.pkl"):
        wesad.open_dataset(tmp_path, trust_pickle=True).load("S4")
    write_e4_subject(tmp_path / "e4", "S5", seed=3)
    table = tmp_path / "e4" / "labels_e4_unix.csv"
    table.write_text(table.read_text().replace("1500000020.0000", "soon"))
    with pytest.raises(RecordingError, match=r"labels_e4_unix\.csv: line 2"):
        wesad.open_dataset(tmp_path / "e4")


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
# these sessions last 13 min: a baseline that counts as young for 10 min (the default) is
# too long for them
warmup_s = 60.0
"""


@pytest.fixture(scope="module")
def wesad_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("wesad")
    for k in range(3):
        write_e4_subject(root / "data", f"S{k + 2}", seed=10 + k, zipped=k % 2 == 0)
    (root / "p.toml").write_text(PIPELINE)
    return root


def test_evaluate_wesad_end_to_end(wesad_root, capsys):
    data, pipeline = wesad_root / "data", wesad_root / "p.toml"
    args = ["evaluate", str(data), "--format", "wesad", "--pipeline", str(pipeline), "--json"]
    args += ["--seeds", "2"]
    assert main(args) == 0
    out = capsys.readouterr()
    scores = json.loads(out.out)
    assert scores["seeds"] == [0, 1] and scores["classes"] == ["baseline", "stress", "amusement"]
    for order in ("natural", "shuffled"):
        protocols = {p: s for p, s in scores[order].items() if p != "comparisons"}
        assert set(protocols) == {"generic", "personalised", "time-only", "logistic", "boosting"}
        for summary in protocols.values():
            assert set(summary["per_subject"]) == {"S2", "S3", "S4"}
            low, high = summary["balanced_accuracy_ci95"]
            assert low <= summary["balanced_accuracy_mean"] <= high
            assert summary["balanced_accuracy_min"] <= summary["balanced_accuracy_mean"]
        # three classes, chance 1/3; the synthetic phases differ in HR, HRV and EDA, and the
        # online model must do as well as the batch logistic reference on the same inputs
        generic = protocols["generic"]["balanced_accuracy_mean"]
        assert generic > 0.6
        assert generic >= protocols["logistic"]["balanced_accuracy_mean"] - 0.05
        assert "generic - time-only" in scores[order]["comparisons"]
    assert "[3/3] S4: computing features" in out.err
    # the second run reads every subject's windows from the feature cache: the same scores
    assert main(args) == 0
    again = capsys.readouterr()
    assert json.loads(again.out) == scores
    assert "[3/3] S4: cached" in again.err and "computing" not in again.err


def test_evaluate_report_writes_a_report_per_subject(wesad_root, tmp_path, capsys):
    data, pipeline = wesad_root / "data", wesad_root / "p.toml"
    args = ["evaluate", str(data), "--format", "wesad", "--pipeline", str(pipeline), "--json"]
    args += ["--subjects", "S2,S3", "--seeds", "1", "--no-shuffled"]
    assert main([*args, "--report", str(tmp_path)]) == 0
    scores = json.loads(capsys.readouterr().out)
    assert "predictions" not in scores
    subjects = ["S2", "S3"]
    assert sorted(p.name for p in tmp_path.glob("*.html")) == [
        *(f"{s}.html" for s in subjects),
        "index.html",
    ]
    index = (tmp_path / "index.html").read_text()
    assert all(f'href="{s}.html"' in index for s in subjects)
    assert index.count("<img") == 1  # per-subject scores of every protocol
    # accuracy within each phase, a row per phase and a column per protocol
    phase_table = index[index.index('id="phases"') :]
    phase_table = phase_table[: phase_table.index("</table>")]
    assert phase_table.count("<tr>") == 1 + len(scores["phases"]["natural"]["generic"])
    assert "<th>generic</th>" in phase_table and "<th>time-only</th>" in phase_table
    for subject in subjects:
        page = (tmp_path / f"{subject}.html").read_text()
        assert page.count('<table class="confusion">') == 1
        assert "feature windows only, not the signals" in page
        figures = re.findall(r'<img alt="(\w+)"', page)
        assert figures == ["features", "states", "confusion", "coverage"]


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
    generic = scores["natural"]["generic"]
    assert set(generic["per_subject"]) == {"S4"}
    assert generic["balanced_accuracy_mean"] > 0.6
    # the model knows what it was trained on: scoring those subjects needs consent
    in_sample = ["evaluate", str(data), *args, "--subjects", "S3,S4", "--model", str(model)]
    assert main([*in_sample, "--json"]) == 2
    assert "trained on S3" in capsys.readouterr().err
    assert main([*in_sample, "--json", "--allow-overlap"]) == 0


def test_train_binary_on_trusted_pickles(tmp_path, capsys):
    for k in range(2):
        write_pickle_subject(tmp_path / "data", f"S{k + 2}", seed=20 + k, chest=False)
    (tmp_path / "p.toml").write_text(PIPELINE)
    args = ["train", str(tmp_path / "data"), "--format", "wesad", "--pipeline"]
    args += [str(tmp_path / "p.toml"), "--out", str(tmp_path / "m.emo"), "--no-cache"]
    assert main([*args, "--label-set", "binary", "--trust-pickle"]) == 0
    out = capsys.readouterr()
    assert "classes non-stress, stress" in out.out
    assert "cached" not in out.err


def test_a_training_subject_under_another_name_is_still_in_sample(tmp_path, capsys):
    """A cohort folder that links a training subject's files under a new pseudonym: the
    same input files, so scoring them needs --allow-overlap too."""
    for k in range(2):
        write_pickle_subject(tmp_path / "data", f"S{k + 2}", seed=20 + k, chest=False)
    (tmp_path / "p.toml").write_text(PIPELINE)
    args = ["--format", "wesad", "--pipeline", str(tmp_path / "p.toml"), "--trust-pickle"]
    model = tmp_path / "m.emo"
    assert main(["train", str(tmp_path / "data"), *args, "--out", str(model)]) == 0
    renamed = tmp_path / "cohort" / "S9"
    renamed.mkdir(parents=True)
    (renamed / "S9.pkl").symlink_to(tmp_path / "data" / "S3" / "S3.pkl")
    capsys.readouterr()
    scoring = ["evaluate", str(tmp_path / "cohort"), *args, "--model", str(model), "--json"]
    assert main(scoring) == 2
    assert "trained on S9" in capsys.readouterr().err
    assert main([*scoring, "--allow-overlap"]) == 0


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


def test_evaluate_select_reports_the_nested_choice(wesad_root, capsys):
    data, pipeline = wesad_root / "data", wesad_root / "p.toml"
    args = ["evaluate", str(data), "--format", "wesad", "--pipeline", str(pipeline)]
    assert main([*args, "--select", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    folds = result["nested"]["folds"]
    assert set(folds) == {"S2", "S3", "S4"}
    assert all(fold["chosen"] in result["loso"] for fold in folds.values())
    assert result["chosen_on_all_subjects"] in result["loso"]
    assert set(result["nested_one_se"]["folds"]) == {"S2", "S3", "S4"}
    assert result["nested_one_se"]["chosen_on_all_subjects"] in result["loso"]
    assert main([*args, "--select"]) == 0
    text = capsys.readouterr().out
    assert "nested leave-one-subject-out, the best on the inner folds" in text
    assert "nested leave-one-subject-out, by the one-standard-error rule" in text
    assert "change over change_s = 60, 120, 300 s" in text
    assert main([*args, "--select", "--active"]) == 2
    assert "--select" in capsys.readouterr().err
