"""Model files are data: no byte of a model file ever runs as code.

A committed file in the current format keeps being read (format stability); the pickle-based
format 1 and pickled files without the opt-in are refused before anything is unpickled;
hostile bodies with a valid checksum are refused with a message, never a traceback.

Regenerate the committed file (only when the format version changes) with
`python tests/faults/test_model_files.py`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import pickle
import sys
from pathlib import Path

import numpy as np
import pytest

from emostream.cli import main
from emostream.errors import ModelError
from emostream.features.base import FeatureVector
from emostream.labels import LabelConfig
from emostream.models.config import ModelConfig
from emostream.models.online import OnlineStateModel
from emostream.models.persist import MAGIC, decode_data, read_model_file, write_model_file

HERE = Path(__file__).parent
LEARNERS = ("logistic", "lda")
CONFIGS = {
    learner: ModelConfig(
        learner=learner,
        labels=LabelConfig(classes=("calm", "stress")),
        replay_per_class=3,
        max_pending_windows=40,
    )
    for learner in LEARNERS
}
CONFIG = CONFIGS["logistic"]
FIXTURE = HERE / "model_files" / "format2-logistic.emo"
CONFIG_HASH = "fixture"
PROBE = {"hr_bpm": 0.8, "eda_scl_us": 0.5, "hrv_rmssd_ms": -0.3}


def fixture_windows() -> list[FeatureVector]:
    """A calm then a stressed phase, 5 s windows, with the phase markers."""
    rng = np.random.default_rng(7)
    out = []
    for k in range(1, 80):
        t_end = 5.0 * k
        stressed = t_end > 200.0
        values = {
            "hr_bpm": 70.0 + 15.0 * stressed + rng.normal(0, 3),
            "eda_scl_us": 2.0 + 2.0 * stressed + rng.normal(0, 0.3),
            "hrv_rmssd_ms": 40.0 - 12.0 * stressed + rng.normal(0, 5),
        }
        markers = []
        if k == 1:
            markers = [(1.0, "phase:calm:start")]
        elif t_end == 205.0:
            markers = [(201.0, "phase:calm:end"), (201.0, "phase:stress:start")]
        elif t_end == 390.0:
            markers = [(386.0, "phase:stress:end")]
        out.append(FeatureVector(t_end - 30.0, t_end, values=values, markers=markers))
    return out


def fixture_paths(learner: str) -> tuple[Path, Path]:
    """The committed model file and its expected predictions."""
    stem = HERE / "model_files" / f"format2-{learner}"
    return stem.with_suffix(".emo"), stem.with_suffix(".json")


def write_fixture(learner: str) -> None:
    model = OnlineStateModel(CONFIGS[learner], config_hash=CONFIG_HASH)
    for fv in fixture_windows():
        model.step(fv)
    path, expected_path = fixture_paths(learner)
    model.save(path)
    expected = {"proba": model.predict_proba(PROBE), "model_version": model.model_version}
    expected_path.write_text(json.dumps(expected, indent=2) + "\n")


def model_file(header: dict, body: bytes) -> bytes:
    """A model file with a valid checksum around `body`."""
    head = {**header, "sha256": hashlib.sha256(body).hexdigest()}
    return MAGIC + json.dumps(head).encode() + b"\n" + body


def header(version: int = 2, encoding: str = "pickle") -> dict:
    return {
        "format_version": version,
        "encoding": encoding,
        "feature_names": [],
        "classes": list(CONFIG.labels.classes),
        "learner": CONFIG.learner,
        "config_hash": CONFIG_HASH,
    }


class _Touch:
    """Unpickling this creates a file: the proof that code ran."""

    def __init__(self, path: Path):
        self.path = path

    def __reduce__(self):
        return (self.path.touch, ())


@pytest.fixture
def hostile(tmp_path):
    """A pickle that creates `ran` when unpickled (checked once, so the tests can fail)."""
    ran = tmp_path / "ran"
    payload = pickle.dumps({"classifier": _Touch(ran)})
    pickle.loads(payload)
    assert ran.exists()
    ran.unlink()
    return payload, ran


@pytest.mark.parametrize("learner", LEARNERS)
def test_committed_current_format_file_still_loads_and_predicts_the_same(learner):
    path, expected_path = fixture_paths(learner)
    model = OnlineStateModel.load(path, CONFIGS[learner], config_hash=CONFIG_HASH)
    expected = json.loads(expected_path.read_text())
    assert model.model_version == expected["model_version"]
    assert model.is_trained and model.predict_proba(PROBE) == expected["proba"]
    assert b'"encoding": "data"' in path.read_bytes()


def test_format_1_pickle_is_refused_and_runs_nothing(tmp_path, hostile):
    payload, ran = hostile
    path = tmp_path / "old.emo"
    path.write_bytes(model_file(header(version=1), payload))
    with pytest.raises(ModelError, match=r"format 1 .*pickle.*retrain with `emostream train`"):
        OnlineStateModel.load(path, CONFIG, config_hash=CONFIG_HASH, trust_pickle=True)
    assert not ran.exists()


def test_pickled_file_needs_the_trust_opt_in(tmp_path, hostile, capsys):
    payload, ran = hostile
    path = tmp_path / "shared.emo"
    path.write_bytes(model_file(header(), payload))
    with pytest.raises(ModelError, match="--trust-model-file"):
        OnlineStateModel.load(path, CONFIG, config_hash=CONFIG_HASH)
    assert not ran.exists()
    # the opt-in really unpickles (which is why it is an explicit, documented choice)
    with pytest.raises(ModelError, match="payload is incomplete"):
        OnlineStateModel.load(path, CONFIG, config_hash=CONFIG_HASH, trust_pickle=True)
    assert ran.exists()


def _npz(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _compressed_npz(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "make_body",
    [
        # an object array is a pickle inside the archive: of an object that runs code
        lambda p, ran: _npz(state=np.array([_Touch(ran)], dtype=object), floats=np.zeros(1)),
        lambda p, ran: _npz(
            state=np.frombuffer(b"{}", np.uint8), floats=np.array([_Touch(ran)], dtype=object)
        ),
        lambda p, ran: _compressed_npz(state=np.frombuffer(b"{}", np.uint8), floats=np.zeros(1)),
        lambda p, ran: p,
        lambda p, ran: _npz(state=np.frombuffer(b"[" * 100_000, np.uint8), floats=np.zeros(1)),
        lambda p, ran: _npz(
            state=np.frombuffer(b'{"classifier": 1}', np.uint8), floats=np.zeros(1)
        ),
    ],
    ids=["object-state", "object-floats", "compressed", "raw-pickle", "deep-json", "bad-state"],
)
def test_hostile_data_bodies_are_refused_and_run_nothing(tmp_path, hostile, make_body):
    payload, ran = hostile
    path = tmp_path / "evil.emo"
    path.write_bytes(model_file(header(encoding="data"), make_body(payload, ran)))
    with pytest.raises(ModelError, match="model state"):
        OnlineStateModel.load(path, CONFIG, config_hash=CONFIG_HASH)
    assert not ran.exists()


@pytest.mark.parametrize("trained_on", [[1], {"subjects": [1]}, {"subjects": {"S2": [1]}}])
def test_malformed_training_record_is_refused(tmp_path, trained_on):
    raw = FIXTURE.read_bytes()
    head_line, _, body = raw[len(MAGIC) :].partition(b"\n")
    head = {k: v for k, v in json.loads(head_line).items() if k != "sha256"}
    path = tmp_path / "m.emo"
    path.write_bytes(model_file({**head, "trained_on": trained_on}, body))
    with pytest.raises(ModelError, match="'trained_on' is malformed"):
        OnlineStateModel.load(path, CONFIG, config_hash=CONFIG_HASH)


def saved_state(path: Path) -> tuple[dict, dict, np.ndarray]:
    """The header (as `write_model_file` takes it), JSON state and float array of a data
    model file, read by the product's own reader."""
    file = read_model_file(path)
    state, floats = decode_data(file)
    written = ("format_version", "encoding", "sha256")  # what `write_model_file` adds
    return {k: v for k, v in file.header.items() if k not in written}, state, floats


def test_state_with_wrong_types_is_refused(tmp_path):
    """A well-formed archive whose state does not fit the components."""
    model = OnlineStateModel.load(FIXTURE, CONFIG, config_hash=CONFIG_HASH)
    path = tmp_path / "m.emo"
    model.save(path)
    head, state, floats = saved_state(path)
    for mutate in (
        lambda s: s["counters"]["state"].update(n_predicted="many"),
        lambda s: s["counters"]["state"].update(n_predicted=-1),
        # a slice from the end of the float array: there are values, but not the stored ones
        lambda s: s["smoother"]["state"]["proba"].update(values=[-3, 2]),
        lambda s: s["classifier"].update(type="river.HoeffdingTreeClassifier"),
        lambda s: s["smoother"]["state"]["proba"].update(values=[10**9, 5]),
        lambda s: s["mixture"].update(state=[0.0, 0.0, 0.0]),
        lambda s: s.pop("encoder"),
        lambda s: s["reservoir"]["state"]["rng"].update(state=[3, [-1], None]),
    ):
        broken = json.loads(json.dumps(state))
        mutate(broken)
        write_model_file(path, head, state=broken, floats=floats)
        with pytest.raises(ModelError, match="model state is invalid"):
            OnlineStateModel.load(path, CONFIG, config_hash=CONFIG_HASH)


def test_a_kept_window_of_no_class_in_the_label_set_is_refused(tmp_path):
    """map-logistic keeps the wearer's labelled windows, each with its class's index: an index
    beyond the label set is refused on load, not met when the model next refits."""
    config = dataclasses.replace(CONFIG, learner="map-logistic")
    model = OnlineStateModel(config, config_hash=CONFIG_HASH)
    for fv in fixture_windows():
        model.step(fv)
    path = tmp_path / "m.emo"
    model.save(path)
    head, state, floats = saved_state(path)
    offset, length = state["classifier"]["state"]["wearer"]["y"]
    assert length > 0
    OnlineStateModel.load(path, config, config_hash=CONFIG_HASH)  # as saved: loads
    broken = floats.copy()
    broken[offset] = len(config.labels.classes)  # a third class of two
    write_model_file(path, head, state=state, floats=broken)
    with pytest.raises(ModelError, match="model state is invalid"):
        OnlineStateModel.load(path, config, config_hash=CONFIG_HASH)


def test_cli_refuses_a_hostile_model_file_without_running_it(tmp_path, hostile, capsys):
    payload, ran = hostile
    model = tmp_path / "evil.emo"
    model.write_bytes(model_file(header(version=1), payload))
    wav = tmp_path / "speech.wav"
    from scipy.io import wavfile

    wavfile.write(wav, 16_000, np.zeros(16_000 * 12, dtype=np.int16))
    pipeline = tmp_path / "p.toml"
    pipeline.write_text(
        '[pipeline]\nname = "v"\n[window]\nlength_s = 10.0\n[features.voice]\n[model]\n'
    )
    code = main(
        ["process", str(wav), "--pipeline", str(pipeline), "--out", str(tmp_path / "o"),
         "--model", str(model), "--quiet"]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 1 and "format 1" in err and "Traceback" not in err
    assert not ran.exists()


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parents[1]))
    for learner in LEARNERS:
        write_fixture(learner)
        print(f"wrote {', '.join(map(str, fixture_paths(learner)))}")
