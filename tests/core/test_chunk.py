import numpy as np
import pytest

from emostream.core.chunk import Chunk
from emostream.core.spec import StreamSpec, markers_spec
from emostream.errors import StreamError

ECG = StreamSpec("ECG", "ecg", ("ECG",), ("millivolts",), 250.0, "dev:ecg")
EEG = StreamSpec("EEG", "eeg", ("TP9", "AF7"), ("microvolts", "microvolts"), 256.0, "dev:eeg")


def test_wrong_channel_count_is_a_clear_error():
    with pytest.raises(StreamError, match=r"3 channels but the stream declares 2 \(TP9, AF7\)"):
        Chunk(EEG, np.arange(4, dtype=np.float64), np.zeros((4, 3)))


def test_timestamps_must_match_samples_and_be_finite():
    with pytest.raises(StreamError, match="5 timestamps but 4 samples"):
        Chunk(EEG, np.arange(5, dtype=np.float64), np.zeros((4, 2)))
    with pytest.raises(StreamError, match="finite"):
        Chunk(EEG, np.array([0.0, np.nan]), np.zeros((2, 2)))
    with pytest.raises(StreamError, match="finite"):
        Chunk(EEG, np.array([0.0, np.inf]), np.zeros((2, 2)))
    with pytest.raises(StreamError, match="float64"):
        Chunk(EEG, np.arange(2, dtype=np.float32), np.zeros((2, 2)))


def test_nan_and_inf_samples_are_counted_not_rejected():
    data = np.array([[1.0, 2.0], [np.nan, 0.0], [np.inf, 1.0], [0.0, 0.0]])
    chunk = Chunk(EEG, np.arange(4, dtype=np.float64), data)
    assert chunk.n_nonfinite == 2


def test_out_of_order_samples_are_counted():
    chunk = Chunk.from_arrays(ECG, [0.0, 0.1, 0.05, 0.2, 0.2], np.zeros(5))
    assert chunk.n_out_of_order() == 2
    assert chunk.n_out_of_order(after_s=0.15) == 4


def test_markers_hold_strings():
    spec = markers_spec("m", "dev:markers")
    chunk = Chunk.from_arrays(spec, [1.0, 2.0], ["phase:stress:start", "x"])
    assert chunk.data[:, 0].tolist() == ["phase:stress:start", "x"]
    with pytest.raises(StreamError, match="object array"):
        Chunk(spec, np.array([1.0]), np.zeros((1, 1)))


def test_spec_validation():
    with pytest.raises(StreamError, match="one unit per channel"):
        StreamSpec("ECG", "x", ("a", "b"), ("mV",), 100.0, "s")
    with pytest.raises(StreamError, match="source_id"):
        StreamSpec("ECG", "x", ("a",), ("mV",), 100.0, "has space")
    for rate_hz in (-1.0, float("nan"), float("inf")):
        with pytest.raises(StreamError, match="rate_hz must be a finite number"):
            StreamSpec("ECG", "x", ("a",), ("mV",), rate_hz, "s")
