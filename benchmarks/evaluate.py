"""`emostream evaluate` and `train` with their work on a 2-worker Dask LocalCluster vs one after
the other in one process, in the same run.

    .venv/bin/python benchmarks/evaluate.py [--run select|scores|heldout|train]
        [--data ../shared/data] [--label-set binary|3class] [--subjects S2,...|all]
        [--workers 2] [--rounds 1] [--cache-dir DIR]

`--run` picks what is timed: `select`, the nested selection (`--select`, its candidates on
the cluster); `scores`, the plain leave-one-subject-out scores of every protocol and
reference (its folds on the cluster); `heldout`, the label requests and outputs (`--active
--outputs`, its folds on the cluster); `train`, a general model from scratch (`emostream
train --no-cache`: every subject's features on the cluster, then the training and its
calibration in the command's process). WESAD, one seed (natural and one shuffled order), on
the subjects given: six by default, so that a round takes minutes rather than the better
part of an hour; `--subjects all` for all fifteen. Except for `train`, a plain `evaluate`
of the same subjects first fills the feature cache (a fresh one, or `--cache-dir`), so that
neither configuration computes features. Each configuration is then one `emostream evaluate
... --json` subprocess (`emostream train ... --out FILE` for `train`), so the parallel
figure includes starting the cluster and sending the prepared inputs to its workers. The
configurations take turns for `--rounds` rounds, and the ratio is of the best time of each.
The two JSON outputs are compared byte for byte; for `train`, the state of the two model
files.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SUBJECTS = "S2,S3,S4,S5,S6,S7"
#: the options of each timed run
RUNS = {"select": ["--select"], "scores": [], "heldout": ["--active", "--outputs"], "train": []}


def timed_command(
    data: Path,
    label_set: str,
    subjects: str,
    cache: Path,
    *extra: str,
    train_to: Path | None = None,
) -> tuple[float, str]:
    """Wall seconds and stdout of one `emostream evaluate` of WESAD (or, given `train_to`,
    of `emostream train --no-cache --out train_to`)."""
    command = [sys.executable, "-m", "emostream", "evaluate", str(data / "wesad")]
    command += ["--format", "wesad", "--label-set", label_set]
    command += [] if subjects == "all" else ["--subjects", subjects]
    if train_to is None:
        command += ["--cache-dir", str(cache), "--seeds", "1", "--json", *extra]
    else:
        command[3:4] = ["train"]
        command += ["--no-cache", "--out", str(train_to), *extra]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr}")
    return elapsed, done.stdout


def same_models(a: Path, b: Path) -> bool:
    """Whether two model files hold the same state (a file's zip entries carry their time)."""
    from emostream.models.persist import decode_data, read_model_file

    (state_a, floats_a), (state_b, floats_b) = (decode_data(read_model_file(p)) for p in (a, b))
    return state_a == state_b and np.array_equal(floats_a, floats_b)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--run", choices=sorted(RUNS), default="select")
    parser.add_argument("--label-set", choices=("binary", "3class"), default="binary")
    parser.add_argument(
        "--subjects", default=SUBJECTS, help=f"WESAD subjects, or 'all' (default {SUBJECTS})"
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=1, help="turns of each configuration")
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        help="feature cache to fill and use (default: a fresh one)",
    )
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    if not (args.data / "wesad").is_dir():
        print(f"{args.data / 'wesad'}: WESAD not found", file=sys.stderr)
        return 2
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"load average before the run: {load} on {os.cpu_count()} cores")
    print(f"machine: {platform.machine()}, Python {platform.python_version()}")
    what = "train" if args.run == "train" else f"evaluate {' '.join(RUNS[args.run]) or '(scores)'}"
    print(f"{what}: WESAD {args.label_set}, ", end="")
    print(f"subjects {args.subjects}, {args.rounds} round(s)")
    times_s: dict[str, list[float]] = {"1": [], str(args.workers): []}
    identical = True
    with tempfile.TemporaryDirectory() as fresh:
        cache = args.cache_dir or Path(fresh)
        if args.run != "train":
            warm_s, _ = timed_command(args.data, args.label_set, args.subjects, cache)
            print(f"  features into the cache (plain evaluate)  {warm_s:8.1f} s", flush=True)
        for turn in range(1, args.rounds + 1):
            outputs, models = [], []
            for workers, times in times_s.items():
                extra = [*RUNS[args.run], "--workers", workers]
                model = Path(fresh) / f"model-{workers}.emo" if args.run == "train" else None
                elapsed, output = timed_command(
                    args.data, args.label_set, args.subjects, cache, *extra, train_to=model
                )
                times.append(elapsed)
                outputs.append(output.replace(str(model), "FILE") if model else output)
                models.append(model)
                where = (
                    "serial, in one process"
                    if workers == "1"
                    else f"LocalCluster, {workers} workers"
                )
                print(f"  round {turn}: {where}  {elapsed:8.1f} s", flush=True)
            identical &= outputs[0] == outputs[1]
            if args.run == "train":
                identical &= same_models(*models)
                for model in models:
                    model.unlink()
    serial_s, parallel_s = times_s.values()
    print(f"  ratio, best serial / best parallel   {min(serial_s) / min(parallel_s):8.2f}x")
    print(f"  results identical: {'yes' if identical else 'NO'}")
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"load average after the run: {load}")
    return 0 if identical else 1


if __name__ == "__main__":
    raise SystemExit(main())
