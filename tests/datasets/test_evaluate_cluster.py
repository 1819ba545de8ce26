"""`emostream evaluate` with its subjects' features computed on a real Dask LocalCluster of
2 worker processes: the same scores as in-process, and a failing subject named."""

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
