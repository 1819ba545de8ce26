import numpy as np
import pytest

from emostream.errors import ConfigError
from emostream.features.engine import FeatureEngine
from emostream.features.registry import EXTRACTORS, parse_feature_tables
from emostream.windowing import WindowConfig

from .conftest import run_windows, spec


def test_parse_feature_tables_builds_params():
    params = parse_feature_tables({"hrv": {"min_quality": 0.3}, "eda": {}}, "p.toml")
    assert params["hrv"].min_quality == 0.3
    assert isinstance(params["eda"], EXTRACTORS["eda"].Params)


def test_unknown_extractor_names_table_and_known_ones():
    with pytest.raises(ConfigError) as err:
        parse_feature_tables({"hrvv": {}}, "p.toml")
    assert err.value.key == "features.hrvv"
    assert "hrv" in str(err.value) and "eda" in str(err.value)


def test_unknown_param_is_config_error():
    with pytest.raises(ConfigError) as err:
        parse_feature_tables({"eda": {"scr_min_amp": 0.1}}, "p.toml")
    assert err.value.key == "features.eda.scr_min_amp"


def test_bad_param_value_is_config_error():
    with pytest.raises(ConfigError):
        parse_feature_tables({"hrv": {"min_quality": 3.0}}, "p.toml")


def test_extractor_without_stream_is_absent_with_reason():
    params = parse_feature_tables({"hrv": {}, "eda": {}}, None)
    fs = 4.0
    ts = np.arange(0, 70, 1 / fs)
    eda = 5.0 + 0.1 * np.sin(ts / 5)
    engine = FeatureEngine(params, {"eda": spec("EDA", fs, "microsiemens")})
    rows = run_windows(
        engine, {"eda": (spec("EDA", fs, "microsiemens"), ts, eda)}, WindowConfig(60, 1)
    )
    assert rows
    assert "hr_bpm" not in rows[0].values
    assert "no input stream" in rows[0].reasons["hrv"]
    assert "eda_scl_us" in rows[0].values


def test_explicit_stream_binding():
    params = parse_feature_tables({"hrv": {"stream": "rr"}}, None)
    specs = {"ppg": spec("PPG", 64.0), "rr": spec("RR", 0.0, "ms")}
    engine = FeatureEngine(params, specs)
    assert [(name, key) for name, key, _ in engine.bound] == [("hrv", "rr")]


def test_a_pipelines_extractors_keep_a_window_and_two_hops():
    from emostream.features.eda import EdaParams
    from emostream.features.temp import TempParams
    from emostream.pipeline.wearer import WearerPipeline

    specs = [spec("TEMP", 4.0, "celsius"), spec("EDA", 4.0, "microsiemens")]
    pipeline = WearerPipeline(
        WindowConfig(60, 1), specs, {"temp": TempParams(), "eda": EdaParams(scr_reference_s=300)}
    )
    (_, _, temp), (_, _, eda) = pipeline.engine.bound
    assert temp.history_s == 62.0
    assert temp._samples.capacity < 62 * 4 * 1.2 + 64  # not ten minutes
    assert eda._samples.capacity >= 300 * 4  # its SCR reference looks back 300 s


def test_a_window_longer_than_ten_minutes_sees_all_its_samples():
    from emostream.core.chunk import Chunk
    from emostream.features.temp import TempParams
    from emostream.pipeline.wearer import WearerPipeline

    fs = 4.0
    ts = np.arange(0, 1000, 1 / fs)
    temp_c = 30.0 + ts / 500.0  # a steady rise: the mean tells which samples were seen
    temp = spec("TEMP", fs, "celsius")
    pipeline = WearerPipeline(WindowConfig(900, 50), [temp], {"temp": TempParams()})
    windows = pipeline.push(Chunk.from_arrays(temp, ts, temp_c[:, None]))
    last = windows[-1].features
    inside = (ts > last.t_start) & (ts <= last.t_end)
    assert last.t_end - last.t_start == 900.0
    assert last.values["temp_c"] == pytest.approx(temp_c[inside].mean(), rel=1e-9)


def test_a_voice_window_longer_than_five_minutes_sees_all_its_frames():
    from emostream.core.chunk import Chunk
    from emostream.features.voice import VoiceParams, voice_features
    from emostream.pipeline.wearer import WearerPipeline

    fs = 2000.0
    ts = np.arange(0, 401 * fs) / fs
    tone = 0.3 * np.sin(2 * np.pi * 150.0 * ts)
    noise = 1e-4 * np.random.default_rng(0).normal(size=ts.size)
    x = (np.where(ts < 250.0, tone, 0.0) + noise).astype(np.float32)  # voiced, then quiet
    audio = spec("Audio", fs, "normalized")
    pipeline = WearerPipeline(WindowConfig(400, 100), [audio], {"voice": VoiceParams()})
    windows = []
    for idx in np.array_split(np.arange(ts.size), 40):
        windows += pipeline.push(Chunk.from_arrays(audio, ts[idx], x[idx, None]))
    (window,) = [w.features for w in windows]
    inside = (ts > window.t_start) & (ts <= window.t_end)
    whole = voice_features(ts[inside], x[inside].astype(np.float64), fs, VoiceParams())
    assert whole.values["voice_activity_ratio"] == pytest.approx(250 / 400, abs=0.01)
    assert window.values == pytest.approx(whole.values, rel=1e-9)
