"""Every guide's worked example runs: the ```python blocks of each docs/guides/*.md, in order,
in one fresh interpreter and namespace per guide, inside an empty temporary folder."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GUIDES = sorted((ROOT / "docs" / "guides").glob("*.md"))
BLOCK_RE = re.compile(r"^```python\n(.*?)^```", re.M | re.S)
#: runs the blocks of the guide named in argv[1], reporting which block failed
RUNNER = """
import re, sys, traceback
text = open(sys.argv[1], encoding="utf-8").read()
namespace = {"__name__": "__guide__"}
for n, block in enumerate(re.findall(sys.argv[2], text, re.M | re.S), start=1):
    try:
        exec(compile(block, f"{sys.argv[1]}, python block {n}", "exec"), namespace)
    except BaseException:
        traceback.print_exc()
        sys.exit(f"python block {n} failed")
"""


def python_blocks(guide: Path) -> list[str]:
    return BLOCK_RE.findall(guide.read_text(encoding="utf-8"))


def test_there_are_guides_with_examples():
    assert GUIDES and all(python_blocks(g) for g in GUIDES)


@pytest.mark.parametrize("guide", GUIDES, ids=[g.stem for g in GUIDES])
def test_guide_example_runs(guide, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", RUNNER, str(guide), BLOCK_RE.pattern],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout + done.stderr
