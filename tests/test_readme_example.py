"""The README's Python example runs as printed."""

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_readme_python_example_runs(tmp_path, monkeypatch):
    section = README.read_text().split("\n## Python\n", 1)[1].split("\n## ", 1)[0]
    (code,) = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    namespace: dict = {}
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), namespace)
    features, predictions = namespace["features"], namespace["predictions"]
    assert len(features) == len(predictions) > 0
    assert "hr_bpm" in out.getvalue() and "state" in out.getvalue()
    assert set(predictions["state"]) - {"unknown"}
    assert namespace["raw"].info["sfreq"] > 0
