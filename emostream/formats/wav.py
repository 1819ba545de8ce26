"""WAV files: one regular `Audio` stream of float32 samples in [-1, 1]."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from scipy.io import wavfile

from emostream.core.spec import StreamSpec
from emostream.errors import RecordingError
from emostream.formats.base import RecordedStream, Recording

AUDIO_KIND = "Audio"


def audio_spec(name: str, source_id: str, rate_hz: float, channels: int = 1) -> StreamSpec:
    labels = ("mic",) if channels == 1 else tuple(f"mic{i + 1}" for i in range(channels))
    return StreamSpec(AUDIO_KIND, name, labels, ("normalized",) * channels, rate_hz, source_id)


def to_float(samples: np.ndarray) -> np.ndarray:
    """PCM samples (int8/16/32, uint8, float) as float32 in [-1, 1], shape (n, channels)."""
    x = np.asarray(samples)
    if x.ndim == 1:
        x = x[:, None]
    if x.dtype == np.uint8:
        return ((x.astype(np.float32) - 128.0) / 128.0).astype(np.float32)
    if np.issubdtype(x.dtype, np.integer):
        return (x.astype(np.float64) / float(-np.iinfo(x.dtype).min)).astype(np.float32)
    return x.astype(np.float32)


def detect(path: Path) -> bool:
    """True for a RIFF/WAVE file."""
    if not path.is_file():
        return False
    with path.open("rb") as fh:
        head = fh.read(12)
    return head[:4] == b"RIFF" and head[8:12] == b"WAVE"


def read(path: Path, t0_s: float = 0.0) -> Recording:
    """A WAV file as a recording with one `Audio` stream starting at `t0_s`."""
    path = Path(path)
    if not path.is_file():
        raise RecordingError("no such file", file=path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", wavfile.WavFileWarning)  # unknown chunks, skipped
            rate_hz, samples = wavfile.read(path, mmap=False)
    # scipy's reader fails on damaged headers in several ways, UnboundLocalError among them
    except (
        ValueError,
        EOFError,
        OSError,
        IndexError,
        UnboundLocalError,
        ZeroDivisionError,
    ) as exc:
        raise RecordingError(f"not a readable WAV file ({exc})", file=path) from None
    if rate_hz <= 0:
        raise RecordingError(f"the WAV header gives a sample rate of {rate_hz} Hz", file=path)
    data = to_float(samples)
    if data.shape[0] == 0:
        raise RecordingError("the WAV file holds no samples", file=path)
    spec = audio_spec(path.stem, f"wav:{path.stem}", float(rate_hz), data.shape[1])
    timestamps = t0_s + np.arange(data.shape[0]) / float(rate_hz)
    return Recording({"audio": RecordedStream(spec, timestamps, data)}, meta={"file": str(path)})
