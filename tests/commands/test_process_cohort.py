"""`emostream process` over a cohort: sessions on a real 2-process Dask LocalCluster, compared
with the serial run; a bad session named; results reused from the cache."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import numpy as np
import pytest

from emostream.cli import main
from emostream.synth.physiology import StreamRenderer, make_timeline
from emostream.synth.protocol import Protocol

T0_UNIX_S = 1_600_000_000


def write_e4_export(folder: Path, seed: int, minutes: float) -> Path:
    """An E4 export folder (BVP, EDA, TEMP, ACC) of a synthetic wearer at rest then stressed."""
    total_s = minutes * 60.0
    timeline = make_timeline(
        Protocol((("baseline", total_s / 2), ("stress", total_s / 2))), total_s, seed
    )
    folder.mkdir(parents=True)
    for stem, kind, rate_hz in (("BVP", "PPG", 64), ("EDA", "EDA", 4), ("TEMP", "TEMP", 4)):
        values = StreamRenderer(timeline, kind, rate_hz, seed).render(int(total_s * rate_hz))[1]
        body = "\n".join(f"{v:.4f}" for v in values[:, 0])
        (folder / f"{stem}.csv").write_text(f"{T0_UNIX_S}.0\n{rate_hz}.0\n{body}\n")
    acc = np.random.default_rng(seed).integers(-64, 64, (int(total_s * 32), 3))
    rows = "\n".join(",".join(map(str, row)) for row in acc)
    (folder / "ACC.csv").write_text(
        f"{T0_UNIX_S}.0,{T0_UNIX_S}.0,{T0_UNIX_S}.0\n32,32,32\n{rows}\n"
    )
    return folder


#: session name -> (seed, minutes); the first is so much the longest that it finishes last
SESSIONS = {"P01": (1, 12.0), "P02": (2, 1.5), "P03": (3, 1.5)}


@pytest.fixture(scope="module")
def cohort(tmp_path_factory) -> Path:
    """A folder of three E4 sessions, one damaged session and a note that is no recording."""
    root = tmp_path_factory.mktemp("cohort")
    for name, (seed, minutes) in SESSIONS.items():
        write_e4_export(root / name, seed, minutes)
    broken = write_e4_export(root / "P00-broken", 4, 1.5)
    (broken / "EDA.csv").write_text(f"{T0_UNIX_S}.0\n4.0\n0.5\nnot-a-number\n")
    (root / "README.txt").write_text("cohort of a study")
    return root


def process(capsys, *args: object) -> tuple[int, dict, str]:
    code = main(["process", *map(str, args), "--quiet", "--json"])
    out, err = capsys.readouterr()
    return code, json.loads(out) if out else {}, err


def outputs(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*.*"))}


def test_parallel_equals_serial_in_input_order_and_names_the_bad_session(
    cohort, dask_scheduler, tmp_path, capsys
):
    serial, parallel = tmp_path / "serial", tmp_path / "parallel"
    code_s, index_s, err_s = process(capsys, cohort, "--out", serial, "--workers", 1, "--no-cache")
    code_p, index_p, err_p = process(
        capsys, cohort, "--out", parallel, "--scheduler", dask_scheduler, "--no-cache"
    )
    assert code_s == code_p == 1
    for index, err in ((index_s, err_s), (index_p, err_p)):
        assert [s["name"] for s in index["inputs"]] == ["P00-broken", "P01", "P02", "P03"]
        assert "error" in index["inputs"][0] and "P00-broken" in err and "EDA.csv" in err
        assert "README.txt: not a recording, skipped" in err
        assert all(s["n_windows"] > 25 for s in index["inputs"][1:])
    # each session's summary stays with its name, whichever worker finished first
    assert [s.get("n_windows") for s in index_p["inputs"]] == [
        s.get("n_windows") for s in index_s["inputs"]
    ]
    written_s, written_p = outputs(serial), outputs(parallel)
    assert sorted(written_s) == sorted(
        [
            f"{n}/{f}"
            for n in SESSIONS
            for f in ("features.parquet", "predictions.parquet", "session.json")
        ]
        + ["cohort.json"]
    )
    for name in written_s:
        if name != "cohort.json":  # which names its own output folder
            assert written_p[name] == written_s[name], name
    features = __import__("pyarrow.parquet").parquet.read_table(parallel / "P01/features.parquet")
    assert set(features.column("recording").to_pylist()) == {"P01"}


def test_second_run_takes_unchanged_sessions_from_the_cache(
    cohort, dask_scheduler, tmp_path, capsys
):
    sessions = [cohort / name for name in SESSIONS]
    args = ["--scheduler", dask_scheduler, "--cache-dir", tmp_path / "cache"]
    code, first, _ = process(capsys, *sessions, "--out", tmp_path / "a", *args)
    assert code == 0 and [s["cached"] for s in first["inputs"]] == [False] * 3
    os.utime(sessions[1] / "EDA.csv")  # P02 changed: it alone is computed again
    code, second, _ = process(capsys, *sessions, "--out", tmp_path / "b", *args)
    assert code == 0 and [s["cached"] for s in second["inputs"]] == [True, False, True]
    a, b = outputs(tmp_path / "a"), outputs(tmp_path / "b")
    for name in SESSIONS:
        assert a[f"{name}/features.parquet"] == b[f"{name}/features.parquet"]
    code, _, _ = process(capsys, *sessions, "--out", tmp_path / "a", *args)
    assert code == 2  # the earlier results are kept unless --overwrite


def test_a_glob_pattern_is_expanded_in_name_order(cohort, tmp_path, capsys):
    code, index, _ = process(capsys, cohort / "P0[23]", "--out", tmp_path, "--workers", 1)
    assert code == 0 and [s["name"] for s in index["inputs"]] == ["P02", "P03"]
    code, _, err = process(capsys, cohort / "Q*", "--out", tmp_path / "q")
    assert code == 2 and "no file or folder matches" in err


def test_workers_builds_a_local_cluster_of_its_own(cohort, tmp_path, capsys):
    sessions = [cohort / "P02", cohort / "P03"]
    code_s, _, _ = process(capsys, *sessions, "--out", tmp_path / "s", "--workers", 1, "--no-cache")
    code_p, _, err = process(
        capsys, *sessions, "--out", tmp_path / "p", "--workers", 2, "--no-cache"
    )
    assert code_s == code_p == 0, err
    serial, parallel = outputs(tmp_path / "s"), outputs(tmp_path / "p")
    assert sorted(serial) == sorted(parallel)
    for name in serial:
        if name != "cohort.json":
            assert parallel[name] == serial[name], name


def test_an_unreachable_scheduler_is_a_usage_error(cohort, tmp_path, capsys):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{probe.getsockname()[1]}"
    sessions = [cohort / "P02", cohort / "P03"]
    code, _, err = process(capsys, *sessions, "--out", tmp_path, "--scheduler", address)
    assert code == 2
    assert f"--scheduler {address}: cannot reach a Dask scheduler there" in err
    assert "Traceback" not in err and not (tmp_path / "P02").exists()
    code, _, err = process(capsys, sessions[0], "--out", tmp_path / "one", "--scheduler", address)
    assert code == 0 and "one session, processed in this process (--scheduler not used)" in err


@pytest.mark.parametrize("workers", ["0", "-2", "two"])
def test_workers_must_be_auto_or_a_whole_number(cohort, tmp_path, capsys, workers):
    sessions = [cohort / "P02", cohort / "P03"]
    code, _, err = process(capsys, *sessions, "--out", tmp_path, "--workers", workers)
    assert code == 2 and f"--workers {workers}: give 'auto' or a whole number >= 1" in err
    assert "Traceback" not in err and not (tmp_path / "cohort.json").exists()
