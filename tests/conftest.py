"""Test-wide set-up.

- Every test run gets its own LSL SessionID on the loopback scope, so its streams are
  invisible to any other process on the machine (and to other test runs).
- Prerequisites outside Python (the real recordings in ../shared/data, espeak-ng,
  libfaketime, Chromium with its WebDriver) are fixtures: a test whose prerequisite is
  missing skips, and the run ends with a line listing them;
  `EMOSTREAM_REQUIRE=shared,espeak,faketime,chromium` (as CI sets it) makes those tests fail
  instead.
- Caches go to a temporary folder (`XDG_CACHE_HOME`), never to the user's; it and the LSL
  configuration are removed when the run ends, or by the next run if this one was killed
  (`run_folders`). `process` and `evaluate` run in-process (`EMOSTREAM_WORKERS=1`) unless a
  test passes `--scheduler` with the address of the one Dask LocalCluster of the run
  (`dask_scheduler`).
- Hypothesis: under `CI=true` the `ci` profile runs without deadlines, since a loaded
  machine makes example timings meaningless.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import uuid
from collections import Counter
from pathlib import Path
from typing import NoReturn

import pytest
from hypothesis import settings

from tests.run_folders import make_run_folder

# liblsl resolves outlets by their ports in [16572, 16572 + PortRange): with the default range
# (32), the 33rd outlet open on the machine (both test workers and their subprocesses count)
# is not found.
_LSL_CONFIG = f"""
[ports]
IPv6 = disable
PortRange = 1024
[multicast]
ResolveScope = machine
[lab]
SessionID = emostream-test-{uuid.uuid4().hex}
"""

#: the run's own files (LSL configuration, caches), removed when the run ends
_RUN_DIR = make_run_folder()

# liblsl reads LSLAPICFG when it loads, so this must run before anything imports pylsl.
if "EMOSTREAM_KEEP_LSLAPICFG" not in os.environ:
    _cfg = _RUN_DIR / "lsl_api.cfg"
    _cfg.write_text(_LSL_CONFIG)
    os.environ["LSLAPICFG"] = str(_cfg)

# `process` caches each session's results under $XDG_CACHE_HOME: keep the user's cache out of
# the tests (and the tests' entries out of it); set before any worker process starts.
os.environ["XDG_CACHE_HOME"] = str(_RUN_DIR / "cache")
# sessions and subjects run in-process unless a test asks for Dask (`dask_scheduler`)
os.environ["EMOSTREAM_WORKERS"] = "1"

settings.register_profile("ci", deadline=None, print_blob=True)
if os.environ.get("CI") == "true":
    settings.load_profile("ci")

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"

#: prerequisites outside Python that some tests need, and how to get them
PREREQUISITES = {
    "shared": "the real recordings in ../shared/data",
    "espeak": "espeak-ng (Debian package espeak-ng)",
    "faketime": "libfaketime (Debian package faketime)",
    "chromium": "headless Chromium and its WebDriver (Debian packages chromium, chromium-driver)",
}
REQUIRE_ENV = "EMOSTREAM_REQUIRE"
_MISSING = re.compile(r"missing prerequisite '(\w+)'")


def _required() -> set[str]:
    return {n.strip() for n in os.environ.get(REQUIRE_ENV, "").split(",") if n.strip()}


def missing_prerequisite(name: str, detail: str) -> NoReturn:
    """Skip the test, or fail it when EMOSTREAM_REQUIRE names the prerequisite."""
    message = f"missing prerequisite '{name}', {PREREQUISITES[name]}: {detail}"
    if name in _required():
        pytest.fail(f"{message} ({REQUIRE_ENV} requires it)", pytrace=False)
    pytest.skip(message)


def pytest_configure(config: pytest.Config) -> None:
    unknown = _required() - PREREQUISITES.keys()
    if unknown:
        raise pytest.UsageError(
            f"{REQUIRE_ENV}: unknown prerequisite(s) {', '.join(sorted(unknown))}; "
            f"known: {', '.join(PREREQUISITES)}"
        )


def pytest_terminal_summary(terminalreporter) -> None:
    """One line naming the prerequisites whose absence made tests skip."""
    counts: Counter[str] = Counter()
    for report in terminalreporter.stats.get("skipped", []):
        found = _MISSING.search(str(report.longrepr))
        if found:
            counts[found.group(1)] += 1
    if counts:
        listed = ", ".join(
            f"{name} ({n} test{'s' * (n > 1)})" for name, n in sorted(counts.items())
        )
        terminalreporter.write_line(
            f"skipped for missing prerequisites: {listed}; "
            f"{REQUIRE_ENV}={','.join(sorted(counts))} makes them fail",
            yellow=True,
        )


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Real recordings in ../shared/data (a fresh clone has none)."""
    if not SHARED_DATA.is_dir():
        missing_prerequisite("shared", f"{SHARED_DATA} does not exist")
    return SHARED_DATA


@pytest.fixture(scope="session")
def espeak_ng() -> str:
    """The espeak-ng program, which makes real speech."""
    path = shutil.which("espeak-ng")
    if path is None:
        missing_prerequisite("espeak", "espeak-ng is not on PATH")
    return path


@pytest.fixture(scope="session")
def faketime_lib() -> str:
    """libfaketime, to give a producer process a shifted clock (LD_PRELOAD)."""
    found = sorted(glob.glob("/usr/lib/*/faketime/libfaketime.so.1"))
    if not found:
        missing_prerequisite("faketime", "no /usr/lib/*/faketime/libfaketime.so.1")
    return found[0]


#: where browser tests keep their screenshots (CI keeps the folder as the run's artefacts)
ARTIFACTS = Path(os.environ.get("EMOSTREAM_ARTIFACTS", REPO_ROOT / "build" / "test-artifacts"))


def _start_browser():
    from emostream.testing.browser import BrowserUnavailable, start_chromium

    try:
        return start_chromium()
    except BrowserUnavailable as exc:
        missing_prerequisite("chromium", str(exc))


@pytest.fixture(scope="session")
def browser():
    """A real headless Chromium driven through WebDriver; its console log is kept."""
    driver = _start_browser()
    yield driver
    driver.quit()


@pytest.fixture
def start_browser():
    """Starts a headless Chromium of the test's own (the test quits it)."""
    return _start_browser


@pytest.fixture
def artifacts_dir(request: pytest.FixtureRequest) -> Path:
    """A folder for this test's screenshots and other artefacts."""
    path = ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.name)[:80]
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def unique_name(request: pytest.FixtureRequest) -> str:
    """A stream-name prefix unique to this test."""
    return f"t{uuid.uuid4().hex[:8]}-{request.node.name[:24]}"


@pytest.fixture(scope="session")
def dask_scheduler() -> str:
    """The address of a real Dask LocalCluster of 2 worker processes, made as `process` and
    `evaluate` make theirs; one per test run, as its workers take seconds to start."""
    from emostream.cluster import local_cluster

    with local_cluster(2) as cluster:
        yield cluster.scheduler_address


@pytest.fixture
def folders_out_of_name_order():
    """Makes folders `names` in `parent`, checking that the directory lists them out of name
    order, so that a test of ordering can fail (skips where the file system sorts listings)."""

    def make(parent: Path, names: list[str]) -> None:
        for name in names:
            (parent / name).mkdir()
        listed = [name for name in os.listdir(parent) if name in names]
        if listed == sorted(names):
            pytest.skip(f"{parent}: this file system lists folders in name order")

    return make
