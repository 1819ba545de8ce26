"""Mutation check: apply each deliberate bug of tests/mutants.toml and run the tests that must
catch it.

Each mutant replaces one exact snippet of one file. They are applied one at a time in a
temporary copy of the repository (the working tree is never touched), and the tests named
by the mutant are run there. A mutant is caught when those tests fail, or when they hang:
a mutant's tests still running after twice the time that all the named tests took together
unmutated, plus 60 s, are stopped with every process they started, and count as failed (a
stalled run is a broken promise). The run
exits 1 if a mutant is missed, a snippet no longer matches exactly once, or the unmutated
tests do not pass; 0 when every mutant is caught.

    python tests/mutants.py [--list FILE] [NAME ...]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_LIST = REPO_ROOT / "tests" / "mutants.toml"
#: pytest exits with 1 when tests ran and some failed; anything else is not a catch
PYTEST_TESTS_FAILED = 1


@dataclass(frozen=True)
class Mutant:
    name: str
    why: str
    file: str
    original: str
    replacement: str
    tests: tuple[str, ...]


def load(path: Path) -> list[Mutant]:
    """The mutants of a TOML list; a malformed entry is an error naming it."""
    with path.open("rb") as f:
        entries = tomllib.load(f).get("mutant", [])
    fields = set(Mutant.__dataclass_fields__)
    mutants = []
    for i, entry in enumerate(entries):
        where = f"{path}: mutant #{i + 1} ({entry.get('name', 'unnamed')})"
        if set(entry) != fields:
            raise SystemExit(f"{where}: needs exactly the keys {sorted(fields)}")
        if entry["original"] == entry["replacement"] or not entry["tests"]:
            raise SystemExit(f"{where}: the replacement must differ and tests must be named")
        mutants.append(Mutant(**{**entry, "tests": tuple(entry["tests"])}))
    names = [m.name for m in mutants]
    if len(set(names)) != len(names):
        raise SystemExit(f"{path}: mutant names must be unique")
    return mutants


def copy_repository(dest: Path) -> None:
    """The tracked and untracked, not ignored files of the working tree."""
    files = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split("\0")
    for rel in filter(None, files):
        src = REPO_ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)


def run_tests(
    repo: Path, tests: tuple[str, ...], timeout_s: float | None = None, log: Path | None = None
) -> int | None:
    """pytest's exit code, or None when it ran past `timeout_s` and was stopped; its output
    goes to `log` (default: nowhere). pytest runs in a process group of its own, so that
    stopping it also stops what its tests started (Dask workers, `emostream run`
    subprocesses), which would otherwise load the next runs. Its temporary files go to a folder
    beside `repo` (removed with it), so a stopped run leaves nothing in the machine's."""
    tmp = repo.parent / "tmp"
    tmp.mkdir(exist_ok=True)
    env = dict(os.environ, PYTHONPATH=str(repo), PYTHONDONTWRITEBYTECODE="1", TMPDIR=str(tmp))
    with open(log if log is not None else os.devnull, "w") as output:
        pytest = subprocess.Popen(
            [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests],
            cwd=repo,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            return pytest.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return None
        finally:
            if pytest.poll() is None:  # timed out, or this run was interrupted
                os.killpg(pytest.pid, signal.SIGKILL)
                pytest.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--list", type=Path, default=DEFAULT_LIST, help="the mutants (TOML)")
    parser.add_argument("names", nargs="*", help="run only these mutants")
    args = parser.parse_args(argv)
    mutants = load(args.list)
    if args.names:
        unknown = set(args.names) - {m.name for m in mutants}
        if unknown:
            parser.error(f"no such mutant: {', '.join(sorted(unknown))}")
        mutants = [m for m in mutants if m.name in args.names]

    with tempfile.TemporaryDirectory(prefix="emostream-mutants-") as tmp:
        # the copy sits next to a link to ../shared, so the real-recording tests run there too
        repo = Path(tmp) / REPO_ROOT.name
        copy_repository(repo)
        if (REPO_ROOT.parent / "shared").is_dir():
            (Path(tmp) / "shared").symlink_to(REPO_ROOT.parent / "shared")

        all_tests = tuple(dict.fromkeys(t for m in mutants for t in m.tests))
        print(f"unmutated: running {len(all_tests)} test paths", flush=True)
        started = time.monotonic()
        log = Path(tmp) / "unmutated.log"
        if run_tests(repo, all_tests, log=log) != 0:
            print(log.read_text()[-6000:])
            print("unmutated: the named tests do not pass (their output above); fix them first")
            return 1
        # a mutant runs a subset of these tests: far longer than all of them means a hang
        timeout_s = 2.0 * (time.monotonic() - started) + 60.0

        missed, stale = [], []
        for m in mutants:
            path = repo / m.file
            text = path.read_text() if path.is_file() else ""
            if text.count(m.original) != 1:
                stale.append(m.name)
                print(f"STALE   {m.name}: {m.file} does not contain the snippet exactly once")
                continue
            path.write_text(text.replace(m.original, m.replacement))
            try:
                code = run_tests(repo, m.tests, timeout_s=timeout_s)
            finally:
                path.write_text(text)
            if code is None:
                print(
                    f"caught  {m.name} (its tests hung: stopped after {timeout_s:.0f} s)",
                    flush=True,
                )
            elif code == PYTEST_TESTS_FAILED:
                print(f"caught  {m.name}", flush=True)
            else:
                missed.append(m.name)
                print(f"MISSED  {m.name} (pytest exit {code}): {m.why}", flush=True)

    print(
        f"{len(mutants) - len(missed) - len(stale)} of {len(mutants)} mutants caught"
        + (f"; missed: {', '.join(missed)}" if missed else "")
        + (f"; stale: {', '.join(stale)}" if stale else "")
    )
    return 1 if missed or stale else 0


if __name__ == "__main__":
    sys.exit(main())
