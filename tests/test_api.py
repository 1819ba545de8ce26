"""The Python API (`import emostream as es`): read, simulate, Pipeline.process and .run."""

import asyncio
import doctest
import json
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import emostream as es
from emostream import api
from emostream.errors import ConfigError, UsageError
from emostream.formats.export import export
from emostream.sinks.base import Sink
from emostream.sources.synthetic import SyntheticWearerSource

LABELS = {"classes": ["calm", "stress", "amusement"], "map": {"baseline": "calm"}}
PROTOCOL = "baseline:120,stress:120,amusement:120"


@pytest.fixture(scope="module")
def recording():
    return es.simulate(seed=5, protocol=PROTOCOL)


def pipeline() -> es.Pipeline:
    return es.Pipeline(
        window={"length_s": 60.0, "hop_s": 10.0},
        features=["hrv", "eda", "rsp"],
        model={"learner": "logistic"},
        labels=LABELS,
    )


def test_the_docstring_examples_run():
    result = doctest.testmod(api, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 5 and result.failed == 0


def test_simulate_gives_the_wearer_and_its_phase_markers(recording):
    assert {"ecg", "eda", "rsp", "temp", "eeg", "markers"} <= set(recording.streams)
    assert recording.duration_s == pytest.approx(360.0, abs=0.1)
    markers = recording.streams["markers"]
    assert markers.timestamps.tolist() == [0.0, 120.0, 120.0, 240.0, 240.0, 360.0]
    assert markers.data[:, 0].tolist() == [
        "phase:baseline:start",
        "phase:baseline:end",
        "phase:stress:start",
        "phase:stress:end",
        "phase:amusement:start",
        "phase:amusement:end",
    ]


@pytest.mark.parametrize("fmt", ["xdf", "edf"])
def test_read_any_format_to_pandas_and_mne(recording, tmp_path, fmt):
    path = tmp_path / f"wearer.{fmt}"
    export(recording, path, fmt)
    back = es.read(path)
    assert isinstance(back, es.Recording)
    frames = back.to_pandas()
    assert set(frames) == set(back.streams)
    for key, stream in back.streams.items():
        frame = frames[key]
        assert frame.columns[0] == "timestamp" and len(frame) == len(stream.timestamps)
        assert np.array_equal(frame["timestamp"].to_numpy(), stream.timestamps)
    raw = back.to_mne()
    assert raw.info["sfreq"] == 256.0  # the highest rate: EEG
    ecg, eda, eeg = (next(s for s in back.streams.values() if s.spec.kind == k) for k in KINDS)
    names = [f"{s.spec.kind} {s.spec.channels[0]}" for s in (ecg, eda, eeg)]
    assert raw.get_channel_types(picks=names) == ["ecg", "gsr", "eeg"]
    # at t = 1 s (grid point 256; ECG sample 250, EDA sample 16), ECG in volts as MNE expects
    assert raw.times[256] == pytest.approx(1.0 - (ecg.timestamps[0] - min_t(back)), abs=1e-9)
    assert ecg.timestamps[250] - ecg.timestamps[0] == pytest.approx(1.0, abs=1e-9)
    ecg_v, eda_us = raw.get_data(picks=names[:2])[:, 256]
    assert ecg_v == pytest.approx(ecg.data[250, 0] * 1e-3, abs=1e-9)
    assert eda_us == pytest.approx(eda.data[16, 0], abs=1e-6)
    assert list(raw.annotations.description) == markers_of(back)


KINDS = ("ECG", "EDA", "EEG")


def min_t(recording) -> float:
    return min(float(s.timestamps[0]) for s in recording.streams.values() if s.spec.rate_hz > 0)


def markers_of(recording) -> list[str]:
    return [str(m) for m in recording.streams["markers"].data[:, 0]]


def test_process_returns_the_cli_columns_as_dataframes(recording):
    features, predictions = pipeline().process(recording)
    assert isinstance(features, pd.DataFrame) and isinstance(predictions, pd.DataFrame)
    assert len(features) == len(predictions) > 20
    assert {"t_start", "t_end", "hr_bpm", "hrv_rmssd_ms", "eda_scl_us", "rsp_rate_bpm"} <= set(
        features.columns
    )
    assert {"t_end", "state", "p_calm", "p_stress", "p_amusement", "confidence"} <= set(
        predictions.columns
    )
    assert (features["t_end"] - features["t_start"] == 60.0).all()
    assert set(predictions["state"]) - {"unknown"}  # the markers taught it


def test_the_last_phase_is_learned_though_it_ends_after_the_last_window(recording):
    """`phase:amusement:end` comes at 360 s, after the last window (350 s) has closed."""
    p = pipeline()
    p.process(recording)
    scored = p.model.prequential.counts  # true class -> predicted class -> windows
    assert "amusement" in scored
    assert all(w.t_start < 240.0 for w in p.model.pending)  # only windows across a phase change


def test_process_works_inside_a_running_event_loop(recording):
    outside = pipeline().process(recording)

    async def notebook_cell():
        return pipeline().process(recording)

    inside = asyncio.run(notebook_cell())
    pd.testing.assert_frame_equal(inside[0], outside[0])
    pd.testing.assert_frame_equal(inside[1], outside[1])


def test_process_reads_a_path_and_the_model_learns_across_calls(recording, tmp_path):
    path = tmp_path / "wearer.xdf"
    export(recording, path, "xdf")
    p = pipeline()
    p.process(path)
    learned = p.model.n_trained
    assert learned > 0
    p.process(path)
    assert p.model.n_trained > learned


def test_a_model_saved_from_python_loads_into_another_pipeline(recording, tmp_path):
    first = pipeline()
    with pytest.raises(UsageError, match="no model to save"):
        first.save_model(tmp_path / "m.emo")
    first.process(recording)
    first.save_model(tmp_path / "m.emo")
    second = pipeline()
    second.load_model(tmp_path / "m.emo")
    assert second.model.n_trained == first.model.n_trained > 0
    x = {"hr_bpm": 1.0, "eda_scl_us": -0.5}
    assert second.model.predict_proba_one(x) == first.model.predict_proba_one(x)
    with pytest.raises(UsageError, match="no such file"):
        second.load_model(tmp_path / "missing.emo")


def test_from_toml_by_name_is_the_bundled_demo_without_model_when_none(recording):
    demo = es.Pipeline.from_toml("demo")
    assert demo.config.meta.name == "demo"
    features, _ = es.Pipeline(features=["eda"], window={"length_s": 30.0}).process(recording)
    assert "eda_scl_us" in features and "hr_bpm" not in features


def test_the_live_run_is_awaitable_and_feeds_sinks():
    seen = []

    class Rows(Sink):
        def open(self, info):
            seen.append(("open", info.mode))

        def on_window(self, features, prediction):
            seen.append(("window", features.t_end))

        def close(self):
            seen.append(("close", None))

    async def live():
        source = SyntheticWearerSource(seed=2, duration_s=150.0, speed=None)
        return await pipeline().run([source], [Rows()])

    features, predictions = asyncio.run(live())
    assert len(features) == len(predictions) > 5
    assert seen[0] == ("open", "live") and seen[-1] == ("close", None)
    assert [t for what, t in seen if what == "window"] == features["t_end"].tolist()


def test_a_recording_no_extractor_can_read_is_refused(recording):
    eda_only = es.Recording({"eda": recording.streams["eda"]})
    with pytest.raises(UsageError, match="reads ECG"):
        es.Pipeline(features=["hrv"]).process(eda_only)


def test_a_pipeline_in_code_is_validated_like_a_file():
    with pytest.raises(ConfigError, match=r"features\.nope"):
        es.Pipeline(features=["nope"])
    with pytest.raises(ConfigError, match=r"window\.lenght_s"):
        es.Pipeline(window={"lenght_s": 60.0}, features=["hrv"])


@pytest.mark.parametrize(
    ("relative", "options", "kind"),
    [
        ("stress_predict/Raw_data/S01", {}, "EDA"),  # Empatica E4 export folder
        ("drivedb/drive05.hea", {}, "ECG"),  # WFDB record
        ("neurokit/bio_resting_5min_100hz.csv", {"fs_hz": 100.0}, "ECG"),  # NeuroKit CSV
    ],
)
def test_read_real_recordings(shared_data, relative, options, kind):
    back = es.read(shared_data / relative, **options)
    stream = next(s for s in back.streams.values() if s.spec.kind == kind)
    frame = back.to_pandas()[next(k for k, s in back.streams.items() if s is stream)]
    assert len(frame) == len(stream.timestamps) > 1000
    assert np.array_equal(frame.iloc[:, 1].to_numpy(), stream.data[:, 0].astype(float))
    raw = back.to_mne()
    name = f"{kind} {stream.spec.channels[0]}"
    assert name in raw.ch_names and raw.n_times > 1000


def test_a_recorded_session_reads_back_and_processes_like_the_live_run(tmp_path, capsys):
    from emostream.cli import main

    args = ["demo", "--speed", "0", "--duration", "150", "--no-lsl", "--record", str(tmp_path)]
    assert main(args) == 0
    capsys.readouterr()
    (session,) = tmp_path.glob("sub-synthetic_ses-*")
    recording = es.read(session)
    assert {"ecg", "eda", "markers"} <= set(recording.streams)
    live = recording.meta["features"].to_pandas()
    features, _ = es.Pipeline.from_toml("demo").process(session)
    assert features["t_end"].tolist() == live["t_end"].tolist()
    pd.testing.assert_series_equal(features["hr_bpm"], live["hr_bpm"])


def test_import_emostream_loads_the_api_only_when_it_is_used():
    """`import emostream` (and so every command) stays fast: the API is imported on first use."""
    code = (
        "import json, sys, emostream as es\n"
        "loaded = lambda: sorted({'emostream.api', 'emostream.formats.base', 'numpy'} & set(sys.modules))\n"
        "before = loaded()\n"
        "es.Recording, es.read\n"
        "print(json.dumps([before, loaded(), dir(es)]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    before, after, names = json.loads(done.stdout)
    assert before == [] and "emostream.api" in after and names == sorted(es.__all__)


def test_read_takes_the_format_given_where_detection_declines(tmp_path):
    """A NeuroKit-style CSV with a column of its own is no known layout, but reads as one."""
    path = tmp_path / "session.csv"
    rows = (f"{np.sin(k / 10):.4f},{5 + np.sin(k / 10):.4f},RA" for k in range(1000))
    path.write_text("ECG,EDA,Operator\n" + "\n".join(rows) + "\n")
    with pytest.raises(UsageError, match="not a recognised recording"):
        es.read(path, fs_hz=100.0)
    back = es.read(path, "neurokit-csv", fs_hz=100.0)
    assert sorted(back.streams) == ["ecg", "eda"] and len(back.streams["ecg"].timestamps) == 1000


def test_a_path_no_extractor_can_read_is_refused_by_name(recording, tmp_path):
    path = tmp_path / "eda-only.xdf"
    export(es.Recording({"eda": recording.streams["eda"]}), path, "xdf")
    with pytest.raises(UsageError, match=f"^{re.escape(str(path))}: .*reads ECG"):
        es.Pipeline(features=["hrv"]).process(path)


def test_simulate_gives_the_same_wearer_for_a_seed_and_another_for_another():
    first, again, other = (es.simulate(duration_s=30.0, seed=seed) for seed in (7, 7, 8))
    assert np.array_equal(first.streams["ecg"].data, again.streams["ecg"].data)
    assert not np.array_equal(first.streams["ecg"].data, other.streams["ecg"].data)
