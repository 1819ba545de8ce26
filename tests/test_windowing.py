import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emostream.config import FieldError
from emostream.core.chunk import Chunk
from emostream.core.spec import StreamSpec, markers_spec
from emostream.windowing import WindowConfig, Windower

ECG = StreamSpec("ECG", "ecg", ("ECG",), ("mV",), 100.0, "d:ecg")
EDA = StreamSpec("EDA", "eda", ("EDA",), ("uS",), 4.0, "d:eda")
RR = StreamSpec("RR", "rr", ("rri_ms",), ("ms",), 0.0, "d:rr")
MARKERS = markers_spec("m", "d:m")


def stream(spec, t_end_s, t0=0.0):
    ts = t0 + np.arange(0, t_end_s * spec.rate_hz) / spec.rate_hz
    return ts, np.sin(ts)[:, None]


def feed(windower, spec, ts, data, splits):
    out = []
    bounds = [0, *sorted(set(splits)), len(ts)]
    for lo, hi in itertools.pairwise(bounds):
        if hi > lo:
            windower.push(Chunk(spec, ts[lo:hi], data[lo:hi]))
            out += windower.pop_ready()
    return out


@given(st.lists(st.integers(0, 3000), max_size=30), st.lists(st.integers(0, 120), max_size=10))
@settings(max_examples=60, deadline=None)
def test_windows_do_not_depend_on_chunking(ecg_splits, eda_splits):
    """Windows close on data timestamps: any chunking (live vs replay) gives the same windows."""
    config = WindowConfig(length_s=10.0, hop_s=2.0, max_lag_s=100.0)
    ref = Windower(config)
    e_ts, e_x = stream(ECG, 30.0)
    d_ts, d_x = stream(EDA, 30.0)
    ref.push(Chunk(ECG, e_ts, e_x))
    ref.push(Chunk(EDA, d_ts, d_x))
    expected = ref.pop_ready()
    w = Windower(config)
    w.add_stream(ECG)
    w.add_stream(EDA)
    got = feed(w, EDA, d_ts, d_x, eda_splits) + feed(w, ECG, e_ts, e_x, ecg_splits)
    assert [(x.t_start, x.t_end) for x in got] == [(x.t_start, x.t_end) for x in expected]
    for a, b in zip(got, expected, strict=True):
        np.testing.assert_array_equal(a.streams["ecg"].data, b.streams["ecg"].data)
        assert a.coverage == b.coverage
    fresh = np.concatenate([x.streams["ecg"].fresh_timestamps for x in got])
    assert np.all(np.diff(fresh) > 0), "each sample is fresh in exactly one window"


def test_grid_coverage_and_fresh_samples():
    w = Windower(WindowConfig(length_s=10.0, hop_s=5.0))
    ts, x = stream(ECG, 31.0)
    w.push(Chunk(ECG, ts, x))
    windows = w.pop_ready()
    assert [win.t_end for win in windows] == [10.0, 15.0, 20.0, 25.0, 30.0]
    assert all(win.coverage["ecg"] == 1.0 for win in windows)
    assert windows[1].streams["ecg"].fresh_timestamps.size == 500


def test_first_window_starts_at_or_after_the_first_sample():
    w = Windower(WindowConfig(length_s=10.0, hop_s=5.0))
    ts, x = stream(ECG, 31.0, t0=0.001)
    w.push(Chunk(ECG, ts, x))
    windows = w.pop_ready()
    assert [win.t_end for win in windows] == [15.0, 20.0, 25.0, 30.0]
    assert windows[0].streams["ecg"].fresh_timestamps.size == 1500


def test_an_offset_shifts_the_grid_of_window_ends():
    w = Windower(WindowConfig(length_s=10.0, hop_s=5.0, offset_s=1.5))
    ts, x = stream(ECG, 31.0)
    w.push(Chunk(ECG, ts, x))
    windows = w.pop_ready()
    assert [win.t_end for win in windows] == [11.5, 16.5, 21.5, 26.5]
    assert windows[1].streams["ecg"].fresh_timestamps.size == 500
    assert windows[1].streams["ecg"].timestamps[-1] == 16.5


@pytest.mark.parametrize("offset_s", [-0.1, 5.0, float("nan")])
def test_an_offset_outside_one_hop_is_refused(offset_s):
    with pytest.raises(FieldError, match="below hop_s") as refused:
        WindowConfig(length_s=10.0, hop_s=5.0, offset_s=offset_s)
    assert refused.value.field == "offset_s"


def test_gap_is_flagged_and_coverage_drops():
    w = Windower(WindowConfig(length_s=10.0, hop_s=10.0))
    ts, x = stream(ECG, 40.0)
    keep = (ts < 12.0) | (ts > 15.0)
    w.push(Chunk(ECG, ts[keep], x[keep]))
    windows = {win.t_end: win for win in w.pop_ready()}
    assert "gap" in windows[20.0].flags["ecg"]
    assert abs(windows[20.0].coverage["ecg"] - 0.7) < 0.01
    assert windows[30.0].flags["ecg"] == ()
    assert w.stats()["ecg"].n_gaps == 1


def test_nan_and_out_of_order_are_flagged_and_counted():
    w = Windower(WindowConfig(length_s=10.0, hop_s=10.0))
    ts, x = stream(ECG, 12.0)
    x = x.copy()
    x[100:110] = np.nan
    w.push(Chunk(ECG, ts[:600], x[:600]))
    w.push(Chunk(ECG, ts[500:], x[500:]))  # 100 samples again: out of order, dropped
    windows = w.pop_ready()
    assert w.stats()["ecg"].n_out_of_order == 100
    assert w.stats()["ecg"].n_nonfinite == 10
    assert "nonfinite" in windows[0].flags["ecg"]
    assert abs(windows[0].coverage["ecg"] - 0.99) < 1e-9


def test_lagging_stream_does_not_stall_windows_and_shows_missing():
    w = Windower(WindowConfig(length_s=10.0, hop_s=5.0, max_lag_s=3.0))
    w.add_stream(EDA)
    w.add_stream(ECG)
    ts, x = stream(ECG, 30.0)
    d_ts, d_x = stream(EDA, 12.0)
    w.push(Chunk(EDA, d_ts, d_x))
    w.push(Chunk(ECG, ts, x))
    windows = w.pop_ready()
    assert windows[-1].t_end == 25.0  # 30 - max_lag rounded down to the grid
    assert windows[-1].coverage["eda"] == 0.0 and "missing" in windows[-1].flags["eda"]


def test_irregular_stream_coverage_counts_long_gaps():
    w = Windower(WindowConfig(length_s=20.0, hop_s=20.0, irregular_max_gap_s=3.0))
    beats = np.concatenate((np.arange(0.0, 8.0, 0.8), np.arange(16.0, 20.5, 0.8)))
    w.push(Chunk.from_arrays(RR, beats, np.full(beats.size, 800.0)))
    win = w.pop_ready(flush=True)[0]
    gap = beats[beats > 8.0][0] - beats[beats < 8.0][-1]
    assert abs(win.coverage["rr"] - (1 - gap / 20.0)) < 1e-9


def test_markers_are_fresh_once_even_before_the_first_window():
    w = Windower(WindowConfig(length_s=10.0, hop_s=5.0))
    w.push(Chunk.from_arrays(MARKERS, [0.0, 12.0], ["phase:baseline:start", "phase:baseline:end"]))
    ts, x = stream(ECG, 21.0, t0=0.0)
    w.push(Chunk(ECG, ts, x))
    windows = w.pop_ready()
    fresh = [m for win in windows for _, m in win.fresh_markers]
    assert fresh == ["phase:baseline:start", "phase:baseline:end"]
    assert windows[1].markers == [(12.0, "phase:baseline:end")]


def test_long_silence_skips_ahead_instead_of_emitting_thousands_of_windows():
    w = Windower(WindowConfig(length_s=10.0, hop_s=1.0, max_catchup_windows=50))
    ts, x = stream(ECG, 12.0)
    w.push(Chunk(ECG, ts, x))
    first = w.pop_ready()
    ts2, x2 = stream(ECG, 2.0, t0=10_000.0)
    w.push(Chunk(ECG, ts2, x2))
    later = w.pop_ready()
    assert len(first) == 2 and len(later) == 50
    assert w.n_windows_skipped > 9000


def test_registered_stream_without_data_holds_windows_back_up_to_max_lag():
    w = Windower(WindowConfig(length_s=10.0, hop_s=5.0, max_lag_s=8.0))
    w.add_stream(EDA)
    ts, x = stream(ECG, 20.0)
    w.push(Chunk(ECG, ts, x))
    assert [win.t_end for win in w.pop_ready()] == [10.0]
    d_ts, d_x = stream(EDA, 20.0)
    w.push(Chunk(EDA, d_ts, d_x))
    assert [win.t_end for win in w.pop_ready()] == [15.0]


def test_a_marker_arriving_after_its_window_closed_is_still_delivered_once():
    w = Windower(WindowConfig(length_s=10.0, hop_s=5.0))
    ts, x = stream(ECG, 21.0)
    w.push(Chunk(ECG, ts, x))
    first = w.pop_ready()
    assert [win.t_end for win in first] == [10.0, 15.0, 20.0]
    w.push(Chunk.from_arrays(MARKERS, [12.0], ["phase:stress:start"]))  # late: 12 s < 20 s
    ts2, x2 = stream(ECG, 6.0, t0=21.0)
    w.push(Chunk(ECG, ts2, x2))
    later = w.pop_ready()
    assert later[0].fresh_markers == [(12.0, "phase:stress:start")]
    assert all(win.fresh_markers == [] for win in later[1:])


def test_a_window_closes_with_its_slowest_streams_last_sample():
    """Live, a window closes as soon as every stream's last sample in it has come (the 4 Hz
    one stamped a hair early, as a clock offset leaves it), not a period later with the
    next one; a stream whose next sample is due before the window's end holds it back."""
    w = Windower(WindowConfig(length_s=10.0, hop_s=1.0, max_lag_s=3.0))
    for spec in (ECG, EDA):
        w.add_stream(spec)
    e_ts, e_x = stream(ECG, 10.0)  # up to 9.99 s: its sample at 10 s is yet to come
    d_ts, d_x = stream(EDA, 10.25)
    d_ts = d_ts - 1e-6  # the sample at 10 s is stamped 9.999999 s
    w.push(Chunk(EDA, d_ts, d_x))
    w.push(Chunk(ECG, e_ts, e_x))
    assert w.pop_ready() == []
    w.push(Chunk(ECG, np.array([10.0]), np.zeros((1, 1))))
    (window,) = w.pop_ready()
    assert window.t_end == 10.0
    assert window.streams["eda"].timestamps[-1] == d_ts[-1]  # 10 s minus a hair: inside


def test_before_the_first_window_its_samples_are_handed_out_a_hop_at_a_time():
    """Live: a lead-in per hop that the data has passed, up to the hop before the first
    window's end; that window's fresh part is its last hop; markers wait for the window."""
    w = Windower(WindowConfig(length_s=10.0, hop_s=2.0))
    w.push(Chunk.from_arrays(MARKERS, [3.0], ["phase:baseline:start"]))
    ts, x = stream(ECG, 13.0)
    lead_ins, windows = [], []
    for lo in range(0, ts.size, 50):  # 0.5 s chunks
        w.push(Chunk(ECG, ts[lo : lo + 50], x[lo : lo + 50]))
        closed = w.pop_ready()
        windows += closed
        if not closed:
            lead_ins.append(w.pop_lead_in())
    handed = [part["ecg"][0] for part in lead_ins if part]
    assert [float(t[-1]) for t in handed] == [0.0, 2.0, 4.0, 6.0, 8.0]
    first = windows[0]
    assert first.t_end == 10.0
    np.testing.assert_array_equal(first.streams["ecg"].fresh_timestamps, ts[(ts > 8) & (ts <= 10)])
    assert first.streams["ecg"].data.shape[0] == 1000  # the window itself is whole
    assert [m for _, m in first.fresh_markers] == ["phase:baseline:start"]
    every = np.concatenate(handed + [win.streams["ecg"].fresh_timestamps for win in windows])
    np.testing.assert_array_equal(every, ts[ts <= windows[-1].t_end])  # each sample once
    assert w.pop_lead_in() == {}  # only before the first window


def test_a_lead_in_stops_a_hop_before_the_first_window_even_when_it_could_close():
    w = Windower(WindowConfig(length_s=10.0, hop_s=2.0))
    ts, x = stream(ECG, 13.0)
    w.push(Chunk(ECG, ts, x))
    assert w.pop_lead_in() == {}  # no window end known before pop_ready
    assert w.pop_ready()[0].streams["ecg"].fresh_timestamps.size == 1001  # 0 .. 10 s

    w = Windower(WindowConfig(length_s=10.0, hop_s=2.0))
    w.push(Chunk(ECG, ts[:500], x[:500]))
    assert w.pop_ready() == []
    w.push(Chunk(ECG, ts[500:], x[500:]))
    (lead_in,) = w.pop_lead_in().values()
    assert float(lead_in[0][-1]) == 8.0
    first = w.pop_ready()[0]
    np.testing.assert_array_equal(first.streams["ecg"].fresh_timestamps, ts[(ts > 8) & (ts <= 10)])
