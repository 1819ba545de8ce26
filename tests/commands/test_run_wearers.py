"""One `emostream run` hosts three wearers live from LSL (`emostream simulate --wearers`): each
has their own windows, outlets (named by slot, never by subject), recording and model file;
the wearer whose device goes away does not stall the others."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid

import numpy as np
import pyarrow.parquet as pq
import pylsl
import pytest

PIPELINE = """
[pipeline]
name = "room"
[window]
length_s = 30.0
hop_s = 1.0
[[sources]]
device = "lsl-generic"
kinds = ["ECG"]
resolve_timeout_s = 60.0
[[sources]]
device = "lsl-generic"
kinds = ["EDA"]
resolve_timeout_s = 60.0
[[sources]]
device = "lsl-generic"
name = "SynthMarkers"
resolve_timeout_s = 60.0
[features.hrv]
[features.eda]
[model]
learner = "logistic"
[labels]
classes = ["calm", "stress"]
map = {{ baseline = "calm" }}
[outputs]
lsl_prefix = "{prefix}"
"""
WEARER = """
[[wearers]]
subject = "{subject}"
model = "{model}"
sources = [{{ source_id = "synthetic-wearer:seed{seed}:ecg{slot}" }},
           {{ source_id = "synthetic-wearer:seed{seed}:eda{slot}" }},
           {{ name = "SynthMarkers{slot}", source_id = "synthetic-wearer:seed{seed}:markers{slot}" }}]
"""
PROTOCOL = "baseline:40,stress:40"


def simulate(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "emostream.cli", "simulate", "--speed", "10", "--protocol",
         PROTOCOL, "--kinds", "ECG,EDA,Markers", "--wait-for-consumers", "60", *args],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ.copy(),
    )  # fmt: skip


def test_one_run_hosts_three_wearers(tmp_path):
    seed = uuid.uuid4().int % 1_000_000
    prefix = f"room{uuid.uuid4().hex[:8]}"
    subjects = [f"S{uuid.uuid4().hex[:10]}" for _ in range(3)]
    models = [tmp_path / f"{s}.emo" for s in subjects]
    # two wearers from one simulator, the third from another that stops after 50 s of data
    slots = [("-w01", seed), ("-w02", seed + 1), ("", seed + 7)]
    text = PIPELINE.format(prefix=prefix) + "".join(
        WEARER.format(subject=s, model=m, seed=n, slot=slot)
        for s, m, (slot, n) in zip(subjects, models, slots, strict=True)
    )
    path = tmp_path / "room.toml"
    path.write_text(text)
    seen: dict[str, str] = {}

    def read_outlets() -> None:
        """Each outlet's header as the network sees it (name, type, source_id, host), as soon
        as it appears: State at the start, Features at the first complete window. (The full
        meta-data of the same outlet classes is checked in test_subject_privacy.py.)"""
        for info in pylsl.resolve_bypred(f"starts-with(name,'{prefix}')", 9, 60.0):
            seen[info.name()] = info.as_xml()

    reader = threading.Thread(target=read_outlets)
    two = simulate("--seed", str(seed), "--wearers", "2", "--duration", "900")
    one = simulate("--seed", str(seed + 7), "--duration", "50")
    reader.start()
    try:  # a process of its own, as users run it
        run = subprocess.run(
            [sys.executable, "-m", "emostream.cli", "run", str(path), "--duration", "12",
             "--record", str(tmp_path / "rec"), "--consent", "record"],
            capture_output=True, text=True, env=os.environ.copy(), timeout=240,
        )  # fmt: skip
    finally:
        for proc in (two, one):
            proc.kill()
            proc.wait()
        reader.join()
    out, err = run.stdout, run.stderr
    assert run.returncode == 0, err
    windows = {m[0]: int(m[1]) for m in re.findall(r"^(w0\d): (\d+) windows", out, re.M)}
    assert sorted(windows) == ["w01", "w02", "w03"], out
    # w03's data ended after 50 s (21 windows of 30 s); the others went on
    assert 0 < windows["w03"] <= 21 and min(windows["w01"], windows["w02"]) > windows["w03"] + 30
    latency = re.findall(
        r"^(w0\d): window latency in the run .*: p50 ([\d.]+) ms, p99 ([\d.]+) ms over the last "
        r"(\d+) windows", out, re.M,
    )  # fmt: skip
    assert [w for w, *_ in latency] == ["w01", "w02", "w03"], out
    for wearer, p50, p99, n in latency:
        assert 0.0 < float(p50) <= float(p99) and int(n) == windows[wearer]
    for i, subject in enumerate(subjects):
        (session,) = (tmp_path / "rec").glob(f"sub-{subject}_ses-1_*/session.json")
        meta = json.loads(session.read_text())
        assert meta["subject"] == subject
        # the three wearers' window ends are spread over the 1 s hop: 0, 1/3 and 2/3 s past
        # each second, as recorded; the windows themselves end there
        assert meta["run"]["window_offset_s"] == i / 3
        t_end = pq.read_table(session.parent / "features.parquet", columns=["t_end"])
        past_grid_s = (t_end["t_end"].to_numpy() - i / 3) % 1.0
        assert t_end.num_rows and np.minimum(past_grid_s, 1.0 - past_grid_s).max() < 1e-6
    assert all(m.stat().st_size > 0 for m in models)
    assert len({m.read_bytes() for m in models}) == 3  # each wearer's own model
    expected = [f"{prefix}-w0{i}-{kind}" for i in (1, 2, 3)
                for kind in ("Features", "State", "State-Markers")]  # fmt: skip
    assert sorted(seen) == expected
    for name, xml in seen.items():
        assert not any(s in xml for s in subjects), f"{name} publishes a subject id"


@pytest.mark.parametrize("stop", ["sigterm", "parent-killed"])
def test_two_workers_host_three_wearers_and_stop_cleanly(tmp_path, stop):
    """`--workers 2`: worker 1 hosts w01 and w03, worker 2 hosts w02, each in its own process.
    A SIGTERM to the run reaches both; a run killed outright (SIGKILL) leaves workers that
    stop by themselves. Either way every wearer's model and recording is saved."""
    seed = uuid.uuid4().int % 1_000_000
    prefix = f"room{uuid.uuid4().hex[:8]}"
    subjects = [f"S{uuid.uuid4().hex[:10]}" for _ in range(3)]
    models = [tmp_path / f"{s}.emo" for s in subjects]
    text = PIPELINE.format(prefix=prefix) + "".join(
        WEARER.format(subject=s, model=m, seed=seed + i, slot=f"-w0{i + 1}")
        for i, (s, m) in enumerate(zip(subjects, models, strict=True))
    )
    path = tmp_path / "room.toml"
    path.write_text(text)
    publisher = simulate("--seed", str(seed), "--wearers", "3", "--duration", "900")
    run = subprocess.Popen(
        [sys.executable, "-m", "emostream.cli", "run", str(path), "--workers", "2",
         "--record", str(tmp_path / "rec"), "--consent", "record"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy(),
        start_new_session=True,  # so that nothing it started outlives the test
    )  # fmt: skip
    try:
        # every wearer's Features outlet appears at its first window: then stop the run
        names = {f"{prefix}-w0{i}-Features" for i in (1, 2, 3)}
        found: set[str] = set()
        for _ in range(60):
            found |= {
                i.name() for i in pylsl.resolve_bypred(f"starts-with(name,'{prefix}')", 0, 2.0)
            }
            if names <= found or run.poll() is not None:
                break
        assert names <= found, found
        if stop == "sigterm":
            run.send_signal(signal.SIGTERM)
            out, err = run.communicate(timeout=120)
            assert run.returncode == 0, err
            assert "3 wearers in 2 workers" in out
            assert "worker 1 of 2: w01, w03" in out and "worker 2 of 2: w02" in out
            windows = {m[0]: int(m[1]) for m in re.findall(r"^(w0\d): (\d+) windows", out, re.M)}
            assert sorted(windows) == ["w01", "w02", "w03"] and min(windows.values()) > 0, out
        else:
            with open(f"/proc/{run.pid}/task/{run.pid}/children") as fh:
                workers = [int(pid) for pid in fh.read().split()]
            assert len(workers) == 2
            run.kill()
            run.wait()
            for _ in range(600):
                if not any(os.path.exists(f"/proc/{pid}") for pid in workers):
                    break
                time.sleep(0.1)
            assert not any(os.path.exists(f"/proc/{pid}") for pid in workers)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(run.pid, signal.SIGKILL)
        run.wait()
        publisher.kill()
        publisher.wait()
    assert all(m.stat().st_size > 0 for m in models)
    for subject in subjects:
        (session,) = (tmp_path / "rec").glob(f"sub-{subject}_ses-1_*/session.json")
        assert json.loads(session.read_text())["status"] == "complete"


def test_more_workers_than_wearers_or_a_dashboard_exit_2(tmp_path, capsys):
    from emostream.cli import main

    text = PIPELINE.format(prefix="x") + "".join(
        WEARER.format(subject=f"P{i}", model=tmp_path / f"P{i}.emo", seed=i, slot=f"-w0{i}")
        for i in (1, 2)
    )
    path = tmp_path / "room.toml"
    path.write_text(text)
    assert main(["run", str(path), "--workers", "3", "--no-record"]) == 2
    assert "--workers 3: " in capsys.readouterr().err
    assert main(["run", str(path), "--workers", "2", "--no-record", "--dashboard", "8765"]) == 2
    assert "--dashboard serves one process" in capsys.readouterr().err


def test_workers_auto_is_one_per_core_at_most_one_per_wearer(monkeypatch):
    """`--workers auto`: one per core, never more than wearers; 1 in a worker process and with
    --dashboard (one dashboard serves one process)."""
    from emostream.cli import build_parser
    from emostream.commands.run import worker_count

    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    parse = build_parser().parse_args
    args = parse(["run", "room.toml", "--workers", "auto"])
    assert args.workers == "auto"
    assert [worker_count(args, n) for n in (1, 3, 9)] == [1, 3, 4]
    assert (
        worker_count(parse(["run", "room.toml", "--workers", "auto", "--dashboard", "8765"]), 9)
        == 1
    )
    assert (
        worker_count(parse(["run", "room.toml", "--workers", "auto", "--worker-of", "1/4"]), 9) == 1
    )
    assert parse(["run", "room.toml", "--workers", "3"]).workers == 3
    for bad in ("0", "two"):
        with pytest.raises(SystemExit) as exit_:
            parse(["run", "room.toml", "--workers", bad])
        assert exit_.value.code == 2
