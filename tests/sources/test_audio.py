"""Audio sources: WAV files, a real LSL Audio outlet on loopback, and a microphone that fails
cleanly where there is none."""

from __future__ import annotations

import asyncio
import subprocess
import time

import numpy as np
import pytest
from scipy.io import wavfile

import emostream.features.voice  # noqa: F401  (registers the voice extractor)
from emostream.core.chunk import Chunk
from emostream.core.clock import lsl_now_s
from emostream.errors import DeviceError, RecordingError, StreamError
from emostream.features.registry import parse_feature_tables
from emostream.formats import wav
from emostream.pipeline.wearer import WearerPipeline
from emostream.sinks.lsl import StreamOutlets
from emostream.sources import audio
from emostream.windowing import WindowConfig


async def _drain(source) -> list[Chunk]:
    return [event async for event in source.events() if isinstance(event, Chunk)]


@pytest.mark.parametrize(
    ("dtype", "scale"), [(np.int16, 32768.0), (np.int32, 2.0**31), (np.float32, 1.0)]
)
def test_wav_is_read_as_normalised_float_on_a_regular_clock(tmp_path, dtype, scale):
    fs = 8000
    x = (0.5 * np.sin(2 * np.pi * 220 * np.arange(fs) / fs) * scale).astype(dtype)
    path = tmp_path / "tone.wav"
    wavfile.write(path, fs, np.column_stack((x, x // 2 if dtype != np.float32 else x / 2)))
    assert wav.detect(path)
    rec = wav.read(path, t0_s=100.0)
    stream = rec.streams["audio"]
    assert stream.spec.kind == "Audio" and stream.spec.channels == ("mic1", "mic2")
    assert stream.spec.rate_hz == fs
    assert stream.timestamps[0] == 100.0
    assert np.allclose(np.diff(stream.timestamps), 1 / fs)
    assert stream.data.dtype == np.float32
    assert np.abs(stream.data[:, 0]).max() == pytest.approx(0.5, abs=1e-3)
    assert np.abs(stream.data[:, 1]).max() == pytest.approx(0.25, abs=1e-3)


def test_wav_source_delivers_every_sample_in_order(tmp_path):
    fs = 16000
    x = np.arange(3 * fs, dtype=np.int32) % 30000
    path = tmp_path / "counter.wav"
    wavfile.write(path, fs, x.astype(np.int16))
    chunks = asyncio.run(_drain(audio.wav_source(path, t0_s=5.0)))
    got = np.concatenate([c.data[:, 0] for c in chunks])
    ts = np.concatenate([c.timestamps for c in chunks])
    assert np.array_equal(np.round(got * 32768).astype(int), x)
    assert np.all(np.diff(ts) > 0) and ts[0] == 5.0


def test_bad_or_missing_wav_is_a_recording_error_naming_the_file(tmp_path):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    with pytest.raises(RecordingError, match=r"bad\.wav"):
        wav.read(bad)
    with pytest.raises(RecordingError, match=r"missing\.wav"):
        wav.read(tmp_path / "missing.wav")
    assert not wav.detect(tmp_path / "missing.wav")


def test_speech_wav_through_the_pipeline_gives_voice_features(tmp_path, espeak_ng):
    path = tmp_path / "speech.wav"
    text = "We were away in Rome, all alone, and the rain was lovely. " * 2
    subprocess.run(["espeak-ng", "-v", "en", "-w", str(path), text], check=True)
    source = audio.wav_source(path, t0_s=0.0)
    pipeline = WearerPipeline(
        WindowConfig(length_s=4.0, hop_s=1.0),
        source.specs,
        parse_feature_tables({"voice": {}}, None),
    )

    async def run():
        out = []
        async for event in source.events():
            out += pipeline.push(event)
        return out + pipeline.finish()

    rows = [r.features.row() for r in asyncio.run(run())]
    voiced = [r for r in rows if "voice_f0_mean_hz" in r]
    assert len(voiced) >= 3
    assert all(70 < r["voice_f0_mean_hz"] < 200 for r in voiced)
    assert all(r["coverage_audio"] > 0.99 for r in voiced)


def test_lsl_audio_outlet_to_source(unique_name):
    spec = audio.audio_spec(unique_name, f"{unique_name}:audio", 16000.0)
    outlets = StreamOutlets([spec])
    source = audio.lsl_audio_source(name=unique_name)
    assert source.spec.kind == "Audio" and source.spec.rate_hz == 16000.0
    n = 16000
    counter = (np.arange(n) % 1000 / 1000.0).astype(np.float32)

    async def run():
        got: list[Chunk] = []

        async def collect():
            async for event in source.events():
                if isinstance(event, Chunk):
                    got.append(event)
                if sum(len(c) for c in got) >= n:
                    return

        task = asyncio.create_task(collect())
        deadline = time.monotonic() + 10.0
        while not outlets.have_consumers():
            assert time.monotonic() < deadline
            await asyncio.sleep(0.01)
        t0 = lsl_now_s()
        for part in np.array_split(np.arange(n), 10):
            outlets.push(Chunk(spec, t0 + part / 16000.0, counter[part, None]))
        try:
            await asyncio.wait_for(task, 20.0)
        finally:
            await source.aclose()
        return got

    got = asyncio.run(run())
    outlets.close()
    data = np.concatenate([c.data[:, 0] for c in got])
    assert np.array_equal(data, counter)


def test_lsl_audio_outlet_without_a_nominal_rate_is_refused_naming_it(unique_name):
    spec = audio.audio_spec(unique_name, f"{unique_name}:audio", 0.0)
    outlets = StreamOutlets([spec])
    try:
        with pytest.raises(StreamError, match=f"'{unique_name}' must have a nominal rate"):
            audio.lsl_audio_source(name=unique_name)
    finally:
        outlets.close()


def test_microphone_without_device_is_a_clean_device_error():
    try:
        audio.input_device(None)
    except DeviceError as exc:
        message = str(exc)
        assert "PortAudio" in message or "no microphone" in message or "sounddevice" in message
        with pytest.raises(DeviceError):
            audio.MicrophoneSource()
    else:
        pytest.skip("this machine has a microphone")
