"""The wheel is a complete product: pipelines, device profiles and type information ship inside
it, and the demo runs from an unpacked wheel with no source checkout in reach."""

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: what the build reads; copied so that building leaves no build/ or egg-info in the checkout
BUILD_INPUTS = ("pyproject.toml", "setup.py", "README.md", "emostream", "pipelines", "devices")
PIP_WHEEL = (sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q")
PYTHON = (sys.executable, "-S")
DEMO = (*PYTHON, "-m", "emostream", "demo", "--duration", "120", "--speed", "0")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    src = tmp_path_factory.mktemp("src")
    for name in BUILD_INPUTS:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(ROOT / name, src / name)
    out = tmp_path_factory.mktemp("dist")
    build = subprocess.run(
        [*PIP_WHEEL, "-w", str(out), str(src)],
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0, build.stderr
    (built,) = out.glob("emostream-*.whl")
    return built


def test_wheel_holds_every_module_pipeline_profile_and_type_marker(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        f"emostream/_bundled/pipelines/{p.name}" for p in (ROOT / "pipelines").glob("*.toml")
    }
    expected |= {f"emostream/_bundled/devices/{p.name}" for p in (ROOT / "devices").glob("*.toml")}
    assert len(expected) > 10
    expected |= {
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "emostream").rglob("*.py")
        if "__pycache__" not in p.parts
    }
    expected |= {
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "emostream" / "dashboard" / "static").iterdir()
    }
    assert len([n for n in expected if "/static/" in n]) >= 5  # the console's pages, JS and CSS
    assert expected <= names, sorted(expected - names)
    assert "emostream/py.typed" in names


def test_demo_runs_from_the_unpacked_wheel_in_another_folder(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    # `-S`: no .pth files, so no editable install of a checkout can supply missing modules;
    # the dependencies come from this environment's site-packages, named explicitly
    deps = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    path = os.pathsep.join([str(site), *deps])
    env = {**os.environ, "PYTHONPATH": path, "COLUMNS": "1000"}

    def run(*argv: str, timeout: float | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
        )

    where = run(*PYTHON, "-c", "import emostream.bundled as b; print(b.bundled_dir('pipelines'))")
    assert where.returncode == 0, where.stderr
    bundled = site / "emostream" / "_bundled" / "pipelines"
    assert Path(where.stdout.strip()) == bundled
    # a bundled pipeline that extends another finds it beside itself in the wheel
    variant = run(
        *PYTHON,
        "-c",
        "import emostream.pipeline.config as c; "
        "p = c.load_pipeline('e4-wrist-3class'); print(p.path, p.window.length_s)",
    )
    assert variant.returncode == 0, variant.stderr
    assert variant.stdout.split() == [str(bundled / "e4-wrist-3class.toml"), "60.0"]
    # 120 s of data: the demo pipeline's windows are 60 s long, a shorter run has no window
    demo = run(*DEMO, "--no-record", timeout=240)
    assert demo.returncode == 0, demo.stderr
    assert f"({site}/emostream/_bundled/pipelines/demo.toml)" in demo.stdout
    assert re.search(r"dashboard: http://127\.0\.0\.1:\d+/#token=", demo.stdout)  # on by default
    assert int(re.search(r"(\d+) windows", demo.stdout).group(1)) > 0
    assert not list(cwd.iterdir())  # --no-record: nothing written where the user stands
