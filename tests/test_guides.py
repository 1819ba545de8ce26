"""Every guide's worked example runs: the ```python blocks of each docs/guides/*.md, in
order, in one fresh namespace per guide, in a temporary working directory."""

import re
from pathlib import Path

import pytest

GUIDES = sorted((Path(__file__).resolve().parents[1] / "docs" / "guides").glob("*.md"))


def python_blocks(text: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)


@pytest.mark.parametrize("guide", GUIDES, ids=[g.stem for g in GUIDES])
def test_guide_examples_run(guide, tmp_path, monkeypatch):
    blocks = python_blocks(guide.read_text())
    assert blocks, f"{guide.name} has no python example"
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": f"guide_{guide.stem.replace('-', '_')}"}
    for i, block in enumerate(blocks):
        exec(compile(block, f"{guide.name} (python block {i + 1})", "exec"), namespace)
