"""`emostream evaluate` and `train` with their subjects' features computed on a real Dask
LocalCluster of 2 worker processes: the same scores and model as in-process, and a failing
subject named."""

from __future__ import annotations

import json

from emostream.cli import main
from tests.datasets.conftest import write_e4_subject
from tests.datasets.test_wesad import PIPELINE


def test_evaluate_on_dask_equals_in_process_and_names_a_failed_subject(
    tmp_path, dask_scheduler, capsys
):
    data = tmp_path / "data"
    for k in range(3):
        write_e4_subject(data, f"S{k + 2}", seed=20 + k)
    (tmp_path / "p.toml").write_text(PIPELINE)
    args = ["evaluate", str(data), "--format", "wesad", "--pipeline", str(tmp_path / "p.toml")]
    args += ["--seeds", "1", "--json", "--no-cache"]
    assert main([*args, "--workers", "1"]) == 0
    serial = json.loads(capsys.readouterr().out)
    assert main([*args, "--scheduler", dask_scheduler]) == 0
    assert json.loads(capsys.readouterr().out) == serial
    assert set(serial["shuffled"]["generic"]["per_subject"]) == {"S2", "S3", "S4"}

    (data / "S3" / "S3_E4_Data" / "EDA.csv").write_text("1500000000.0\n4.0\nnot-a-number\n")
    assert main([*args, "--scheduler", dask_scheduler]) == 1
    err = capsys.readouterr().err
    assert "1 subject(s) failed" in err and "S3: " in err and "EDA.csv" in err


def test_train_computes_features_on_dask_and_writes_the_same_model(tmp_path, dask_scheduler):
    from distributed import Client, get_task_stream

    from emostream.models.persist import decode_data, read_model_file

    data = tmp_path / "data"
    for k in range(3):
        write_e4_subject(data, f"S{k + 2}", seed=30 + k)
    (tmp_path / "p.toml").write_text(PIPELINE)
    args = ["train", str(data), "--format", "wesad", "--pipeline", str(tmp_path / "p.toml")]
    args += ["--no-cache"]
    assert main([*args, "--workers", "1", "--out", str(tmp_path / "serial.emo")]) == 0
    with Client(dask_scheduler) as client, get_task_stream(client) as tasks:
        assert main([*args, "--scheduler", dask_scheduler, "--out", str(tmp_path / "d.emo")]) == 0
    assert sum(t["key"].startswith("_guarded") for t in tasks.data) == 3  # a task per subject
    serial, parallel = (decode_data(read_model_file(tmp_path / f)) for f in ("serial.emo", "d.emo"))
    assert serial[0] == parallel[0] and serial[1].tolist() == parallel[1].tolist()
