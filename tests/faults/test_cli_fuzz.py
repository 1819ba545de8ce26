"""Property-based CLI fuzzing: whatever the config values, file bytes or arguments, every
command exits 0, 1 or 2 with a message and never a traceback.

Most examples call `emostream.cli.main` in-process (an escaping exception fails the test);
a few run the real `emostream` process, under a timeout, to check its exit status and
stderr end to end.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import math
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from scipy.io import wavfile

from emostream.cli import main
from emostream.errors import ModelError
from emostream.models.online import OnlineStateModel
from emostream.models.persist import MAGIC

from .test_model_files import CONFIG, CONFIG_HASH, FIXTURE

FUZZ = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
#: a real process gets this long; more means a hang or an unbounded run
SUBPROCESS_TIMEOUT_S = 120
EXIT_CODES = {0, 1, 2}
WAV_HZ = 16_000

numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 1e-12, 1e12, 0.5, 2.0, 30.0]),
)
toml_values = st.one_of(
    numbers,
    st.booleans(),
    st.text(max_size=12),
    st.lists(st.one_of(st.integers(-5, 5), st.text(max_size=5)), max_size=3),
)
#: keys a pipeline's tables take, with plausible and implausible values
PIPELINE_KEYS = {
    "window": ["length_s", "hop_s", "max_lag_s", "irregular_max_gap_s", "max_catchup_windows"],
    "features.voice": ["f0_min_hz", "f0_max_hz", "frame_step_s", "channel", "min_voiced_s",
                       "min_quality", "min_coverage", "silence_dbfs", "stream"],
    "model": ["learner", "learning_rate", "l2", "smoothing_s", "warmup_s", "mix_eta",
              "max_pending_windows", "replay_per_class", "min_baseline_windows", "seed",
              "allow_pickle", "normalise"],
    "labels": ["classes", "min_overlap", "arousal_classes"],
    "outputs": ["lsl", "lsl_prefix"],
}  # fmt: skip


def toml_value(value: object) -> str:
    """TOML for one value (inf/nan as TOML writes them; strings as JSON-escaped basic strings)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, str):
        return json.dumps(value)
    return str(value)


def voice_pipeline(overrides: dict[str, dict[str, object]]) -> str:
    tables: dict[str, dict[str, object]] = {
        "pipeline": {"name": "fuzz"},
        "window": {"length_s": 2.0, "hop_s": 1.0},
        "features.voice": {},
        "model": {},
    }
    for table, values in overrides.items():
        tables.setdefault(table, {}).update(values)
    return "\n".join(
        f"[{name}]\n" + "".join(f"{k} = {toml_value(v)}\n" for k, v in values.items())
        for name, values in tables.items()
    )


@pytest.fixture(scope="module")
def work() -> Iterator[Path]:
    """A folder with a short speech-like WAV, reused by every example."""
    with tempfile.TemporaryDirectory(prefix="emostream-fuzz-") as tmp:
        root = Path(tmp)
        t = np.arange(3 * WAV_HZ) / WAV_HZ
        wave = 8000 * np.sin(2 * np.pi * 140 * t) * (np.sin(2 * np.pi * 2 * t) > 0)
        wavfile.write(root / "speech.wav", WAV_HZ, wave.astype(np.int16))
        yield root


def run_cli(*argv: object) -> tuple[int, str]:
    """main() in-process: its exit status and stderr; any exception escapes (and fails)."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main([str(a) for a in argv])
    assert code in EXIT_CODES, err.getvalue()
    assert "Traceback" not in err.getvalue()
    if code:
        assert "error" in err.getvalue()
    return code, err.getvalue()


def process(work: Path, inputs: list[Path], *extra: object) -> tuple[int, str]:
    out = Path(tempfile.mkdtemp(dir=work, prefix="out-"))
    return run_cli("process", *inputs, "--out", out, "--overwrite", "--quiet", *extra)


@FUZZ
@given(
    st.lists(st.sampled_from(sorted(PIPELINE_KEYS)), unique=True, max_size=3).flatmap(
        lambda tables: st.fixed_dictionaries(
            {
                table: st.dictionaries(
                    st.sampled_from(PIPELINE_KEYS[table]), toml_values, max_size=3
                )
                for table in tables
            }
        )
    )
)
def test_pipeline_values(work, overrides):
    path = work / "values.toml"
    path.write_text(voice_pipeline(overrides))
    code, err = process(work, [work / "speech.wav"], "--pipeline", path)
    if code == 2 and "TOML" not in err:
        assert str(path) in err  # a config error names the file


@FUZZ
@given(st.binary(max_size=200), st.integers(0, 400), st.booleans())
def test_pipeline_bytes(work, noise, at, replace):
    good = voice_pipeline({}).encode()
    at = min(at, len(good))
    text = good[:at] + noise + good[at + (len(noise) if replace else 0) :]
    path = work / "bytes.toml"
    path.write_bytes(text)
    process(work, [work / "speech.wav"], "--pipeline", path)


e4_cells = st.one_of(
    numbers.map(str), st.text(max_size=8), st.sampled_from(["", " ", "1,2", "nan", "1e400"])
)


@FUZZ
@given(
    start=e4_cells,
    rate=e4_cells,
    body=st.lists(e4_cells, max_size=5),
    other_start=st.sampled_from(["1600000000", "1600000100", "1e10", "0"]),
    gzip_it=st.booleans(),
)
def test_e4_csv_contents(work, start, rate, body, other_start, gzip_it):
    import gzip

    folder = Path(tempfile.mkdtemp(dir=work, prefix="e4-"))
    bvp = "\n".join([start, rate, *body, *["0.5"] * 64 * 70]) + "\n"
    (folder / ("BVP.csv.gz" if gzip_it else "BVP.csv")).write_bytes(
        gzip.compress(bvp.encode()) if gzip_it else bvp.encode()
    )
    eda = "\n".join([other_start, "4", *["1.0"] * 4 * 70]) + "\n"
    (folder / "EDA.csv").write_text(eda)
    process(work, [folder])


def wav_bytes() -> bytes:
    buffer = io.BytesIO()
    wavfile.write(buffer, WAV_HZ, (1000 * np.sin(np.arange(WAV_HZ * 3) / 7)).astype(np.int16))
    return buffer.getvalue()


@FUZZ
@given(st.lists(st.tuples(st.integers(0, 43), st.integers(0, 255)), min_size=1, max_size=6))
def test_wav_headers(work, edits):
    raw = bytearray(wav_bytes())
    for offset, value in edits:
        raw[offset] = value
    path = Path(tempfile.mkdtemp(dir=work, prefix="wav-")) / "speech.wav"
    path.write_bytes(bytes(raw))
    process(work, [path], "--format", "wav")


@FUZZ
@given(
    st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=8),
    st.booleans(),
)
def test_model_file_bytes(tmp_path_factory, edits, fix_checksum):
    """Damaged model files, also with a recomputed checksum (a crafted file), are refused
    with ModelError, or load as a model that still predicts."""
    raw = bytearray(FIXTURE.read_bytes())
    for offset, value in edits:
        raw[offset % len(raw)] = value
    if fix_checksum and raw.startswith(MAGIC):
        head_line, _, body = bytes(raw[len(MAGIC) :]).partition(b"\n")
        try:
            head = json.loads(head_line)
        except ValueError:
            head = None
        if isinstance(head, dict):
            head["sha256"] = hashlib.sha256(body).hexdigest()
            raw = bytearray(MAGIC + json.dumps(head).encode() + b"\n" + body)
    path = tmp_path_factory.mktemp("model") / "m.emo"
    path.write_bytes(bytes(raw))
    try:
        model = OnlineStateModel.load(path, CONFIG, config_hash=CONFIG_HASH)
    except ModelError as exc:
        assert str(path) in str(exc)
        return
    proba = model.predict_proba({"hr_bpm": 0.5})
    assert set(proba) == set(CONFIG.labels.classes)


ARG_VALUES = st.one_of(
    st.text(min_size=0, max_size=10),
    numbers.map(str),
    st.sampled_from(["{wav}", "{missing}", "{folder}", "-", "--", "\n", "P07", "demo", "a\x00b"]),
)
#: commands that end by themselves whatever the arguments (no live sessions or publishers)
QUICK_COMMANDS = {
    "process": ["--pipeline", "--out", "--format", "--fs-hz", "--model", "--overwrite",
                "--partial", "--json"],
    "export": ["--out", "--format", "--partial"],
    "evaluate": ["--format", "--pipeline", "--subjects", "--train-stride", "--model"],
    "train": ["--format", "--pipeline", "--subjects", "--train-stride", "--out"],
}  # fmt: skip


@st.composite
def argvs(draw: st.DrawFn) -> list[str]:
    command = draw(st.sampled_from(sorted(QUICK_COMMANDS)))
    argv = [command, *draw(st.lists(ARG_VALUES, max_size=2))]
    for option in draw(st.lists(st.sampled_from(QUICK_COMMANDS[command]), max_size=4)):
        argv += [option, draw(ARG_VALUES)]
    return argv


def fill(argv: list[str], work: Path) -> list[str]:
    names = {"{wav}": work / "speech.wav", "{missing}": work / "missing", "{folder}": work}
    return [str(names.get(a, a)) for a in argv]


@FUZZ
@given(argvs())
def test_cli_arguments(work, argv):
    with contextlib.chdir(work):
        run_cli(*fill(argv, work))


@settings(max_examples=4, deadline=None, derandomize=True)
@given(argvs())
def test_cli_arguments_in_a_real_process(work, argv):
    assume(not any("\x00" in a for a in argv))  # an OS argument cannot hold one
    result = subprocess.run(
        [sys.executable, "-m", "emostream.cli", *fill(argv, work)],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT_S,
        env=os.environ.copy(),
    )
    assert result.returncode in EXIT_CODES, result.stderr
    assert "Traceback" not in result.stderr
