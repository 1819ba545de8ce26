"""TimestampGuard fed directly: bad timestamps are counted and repaired or dropped, and the
stream resumes with the next good sample."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from emostream.core.timestamps import TimestampGuard
from emostream.timing import RunningLineFit

RATE_HZ = 100.0


def _true_times(n: int, t0: float = 50.0) -> np.ndarray:
    return t0 + np.arange(n) / RATE_HZ


def _feed(guard: TimestampGuard, ts: np.ndarray, chunk: int, arrival_s=None):
    out, keeps, gaps = [], [], []
    for lo in range(0, ts.shape[0], chunk):
        part = guard.apply(ts[lo : lo + chunk], arrival_s)
        out.append(part.timestamps)
        keeps.append(
            part.keep if part.keep is not None else np.ones(len(ts[lo : lo + chunk]), bool)
        )
        gaps.extend(part.gaps)
    return np.concatenate(out), np.concatenate(keeps), gaps


def test_nan_run_in_a_regular_stream_is_restamped_from_the_rate() -> None:
    true = _true_times(1000)
    ts = true.copy()
    ts[300:400] = np.nan
    guard = TimestampGuard(RATE_HZ)
    out, keep, gaps = _feed(guard, ts, 7)
    assert keep.all() and not gaps
    np.testing.assert_allclose(out, true, atol=1e-9)
    assert guard.stats.n_nonfinite == 100 and guard.stats.n_repaired == 100


@pytest.mark.parametrize(("chunk", "n_jumps"), [(13, 1), (501, 2), (1, 2)])
def test_one_wild_sample_costs_nothing(chunk: int, n_jumps: int) -> None:
    """Inside its chunk it is a lone outlier, re-stamped alone; at a chunk's end the clock is
    re-anchored there and back."""
    true = _true_times(1000)
    ts = true.copy()
    ts[500] += 1e6
    guard = TimestampGuard(RATE_HZ)
    out, keep, _ = _feed(guard, ts, chunk)
    assert keep.all()
    np.testing.assert_allclose(out, true, atol=1e-6)
    assert guard.stats.n_jumps == n_jumps
    assert abs(guard.offset_s) < 1e-6


@pytest.mark.parametrize("where", [1000, 1009])
@pytest.mark.parametrize("wild_s", [-5.0, -2.0, 10.0, 100.0])
@pytest.mark.parametrize("dejitter", [False, True])
def test_a_slow_live_streams_wild_sample_leaves_its_clock_as_it_was(
    where: int, wild_s: float, dejitter: bool
) -> None:
    """4 Hz in 2.5 s chunks, as pulled live: within a chunk or at its end, a wild sample
    back, or ahead past the arrival clock, leaves the later stamps as they would have been."""
    rate_hz, n, chunk = 4.0, 2000, 10
    rng = np.random.default_rng(1)
    true = 1000.0 + np.arange(n) / rate_hz
    clean = true + rng.uniform(0.0, 0.2 / rate_hz, n)
    wild = clean.copy()
    wild[where] += wild_s
    outs, guards = [], []
    for ts in (clean, wild):
        guards.append(guard := TimestampGuard(rate_hz, dejitter=dejitter))
        outs.append(
            [
                guard.apply(ts[lo : lo + chunk], float(true[lo + chunk - 1]) + 0.02).timestamps
                for lo in range(0, n, chunk)
            ]
        )
    clean_out, wild_out = (np.concatenate(out)[where + 1 :] for out in outs)
    # undejittered, the clock is the one from before the jump, exactly
    np.testing.assert_allclose(wild_out, clean_out, rtol=0, atol=0.01 if dejitter else 1e-9)
    assert guards[0].stats.n_events == 0 and 1 <= guards[1].stats.n_jumps <= 2


@pytest.mark.parametrize("silence_s", [2.0, 3.0, 4.9])
def test_a_slow_streams_dejitter_fit_never_spans_a_silence(silence_s: float) -> None:
    """A few seconds' silence of a 4 Hz stream, shorter than 20 periods: the fit restarts,
    and the samples after it keep their own times."""
    rate_hz, n = 4.0, 1200
    rng = np.random.default_rng(2)
    true = 1000.0 + np.arange(n) / rate_hz
    true[600:] += silence_s
    ts = true + rng.uniform(0.0, 0.2 / rate_hz, n)
    guard = TimestampGuard(rate_hz, dejitter=True)
    out = [
        guard.apply(ts[lo : lo + 5], float(true[lo + 4]) + 0.02).timestamps for lo in range(0, n, 5)
    ]
    after = np.concatenate(out)[600:] - true[600:]
    assert np.abs(after).max() < 0.2 / rate_hz
    assert guard.stats.n_events == 0


def test_a_lasting_clock_step_back_continues_seamlessly() -> None:
    true = _true_times(2000)
    ts = true.copy()
    ts[1200:] -= 3600.0  # e.g. the sender's clock was reset
    guard = TimestampGuard(RATE_HZ)
    out, keep, _ = _feed(guard, ts, 32)
    assert keep.all() and np.all(np.diff(out) > 0)
    np.testing.assert_allclose(out, true, atol=1e-6)
    assert guard.stats.n_jumps == 1


def test_irregular_stream_drops_bad_samples_with_a_gap() -> None:
    beats = np.cumsum(np.full(60, 0.8)) + 10.0
    ts = beats.copy()
    ts[20:25] = np.nan
    ts[40] = -1e9
    guard = TimestampGuard(0.0)
    out, keep, gaps = _feed(guard, ts, 4)
    assert np.flatnonzero(~keep).tolist() == [20, 21, 22, 23, 24, 40]
    np.testing.assert_array_equal(out, beats[keep])
    assert gaps == [(beats[19], beats[25]), (beats[39], beats[41])]
    assert guard.stats.n_dropped == 6 and guard.stats.n_nonfinite == 5


def _read_beats_live(
    sent: np.ndarray, true: np.ndarray, chunks: int | list[list[int]]
) -> tuple[np.ndarray, np.ndarray, TimestampGuard]:
    """An irregular stream read live: `sent` stamps in chunks of `chunks` beats (or in the
    listed chunks of beat numbers), each chunk arriving 50 ms after its last beat's `true`
    time. Stamps, mask of kept beats, guard."""
    if isinstance(chunks, int):
        chunks = [
            list(range(lo, min(lo + chunks, sent.shape[0])))
            for lo in range(0, sent.shape[0], chunks)
        ]
    guard = TimestampGuard(0.0)
    out, keeps = [], []
    for ks in chunks:
        part = guard.apply(sent[ks], float(true[ks[-1]]) + 0.05)
        out.append(part.timestamps)
        keeps.append(part.keep if part.keep is not None else np.ones(part.timestamps.size, bool))
    return np.concatenate(out), np.concatenate(keeps), guard


@pytest.mark.parametrize("beat_s", [0.8, 1.3, 1.8])
@pytest.mark.parametrize("wild_s", [-5.0, 10.0, 100.0])
@pytest.mark.parametrize("chunk", [1, 3])
def test_an_irregular_live_streams_wild_beat_leaves_its_clock_as_it_was(
    beat_s: float, wild_s: float, chunk: int
) -> None:
    """Beats slower than `max_jump_s` apart (heart rate below 60 bpm) once made every beat
    after a wild one a jump, each re-anchored to its arrival."""
    rng = np.random.default_rng(1)
    true = 1000.0 + np.cumsum(beat_s + rng.normal(0.0, 0.05, 200))
    sent = true.copy()
    sent[100] += wild_s
    out, keep, guard = _read_beats_live(sent, true, chunk)
    inside = chunk == 3  # beat 100 is the middle of its chunk: a spike, dropped
    assert np.flatnonzero(~keep).tolist() == ([100] if inside else [])
    assert guard.stats.n_jumps == (1 if inside else 2)
    np.testing.assert_allclose(out[-99:], true[101:], rtol=0, atol=1e-9)


@pytest.mark.parametrize(
    ("beat_s", "wild", "wild_s", "chunks"),
    [
        # within the stream's first seconds its pace is unknown: +100 s passes as a silence
        (1.25, 5, 100.0, [[0], [1], [2], [3], [4, 5], *([k] for k in range(6, 40))]),
        # further on, within what the pace allows, ending a chunk, the next one starting back
        (1.2, 21, 3.0, [*([k, k + 1] for k in range(0, 22, 2)), *([k] for k in range(22, 40))]),
        (1.2, 21, 2.5, [*([k] for k in range(20)), [20, 21], [22, 23], *([k] for k in range(24, 40))]),
    ],
)  # fmt: skip
def test_a_wild_beat_ahead_passed_as_a_silence_costs_only_itself(
    beat_s: float, wild: int, wild_s: float, chunks: list[list[int]]
) -> None:
    """Live, a beat stamped ahead within what the arrival clock allows is taken for a silence;
    the beat after it, back on the clock from before, keeps its time, and so do the rest."""
    true = 1000.0 + beat_s * np.arange(40)
    sent = true.copy()
    sent[wild] += wild_s
    out, keep, guard = _read_beats_live(sent, true, chunks)
    assert keep.all()
    np.testing.assert_allclose(np.delete(out, wild), np.delete(true, wild), rtol=0, atol=1e-9)
    assert guard.stats.n_jumps <= 2


def test_a_beat_stamped_back_between_the_two_before_it_is_no_return_of_the_clock() -> None:
    """Beats over 1 s apart, each stamped before it arrived: a beat stamped back to between
    the two before it is the wild one (stamped at its arrival), not the clock returning."""
    true = 1000.0 + 1.2 * np.arange(40)
    sent = true.copy()
    sent[21] = true[19] + 0.1
    chunks = [*([k, k + 1] for k in range(0, 20, 2)), *([k] for k in range(20, 40))]
    out, keep, _ = _read_beats_live(sent, true, chunks)
    assert keep.all()
    assert out[21] == pytest.approx(true[21] + 0.05)
    np.testing.assert_allclose(np.delete(out, 21), np.delete(true, 21), rtol=0, atol=1e-9)


@pytest.mark.parametrize("beat_s", [0.8, 1.3, 1.8])
@pytest.mark.parametrize("step_s", [-30.0, 30.0])
@pytest.mark.parametrize("chunk", [1, 3])
def test_an_irregular_live_streams_clock_step_is_one_jump(
    beat_s: float, step_s: float, chunk: int
) -> None:
    rng = np.random.default_rng(2)
    true = 1000.0 + np.cumsum(beat_s + rng.normal(0.0, 0.05, 200))
    sent = true.copy()
    sent[99:] += step_s  # a beat that starts a chunk of 3
    out, keep, guard = _read_beats_live(sent, true, chunk)
    assert keep.all() and guard.stats.n_jumps == 1
    np.testing.assert_allclose(np.diff(out[100:]), np.diff(true[100:]), rtol=0, atol=1e-9)


@pytest.mark.parametrize("wild_s", [10.0, 100.0, 3000.0])
def test_a_recorded_irregular_streams_spike_ahead_costs_one_beat(wild_s: float) -> None:
    """In a recording (no arrival clock) a spike ahead once passed as a silence, and every beat
    until the stream caught up with it was dropped."""
    beats = 10.0 + np.cumsum(np.full(300, 0.8))
    sent = beats.copy()
    sent[100] += wild_s
    guard = TimestampGuard(0.0)
    guarded = guard.apply(sent)
    assert guarded.keep is not None and np.flatnonzero(~guarded.keep).tolist() == [100]
    np.testing.assert_array_equal(guarded.timestamps, np.delete(beats, 100))
    assert guarded.gaps == ((beats[99], beats[101]),)
    assert guard.stats.n_jumps == 1 and guard.stats.n_dropped == 1


def test_a_recorded_spike_back_is_told_from_the_long_beat_before_it() -> None:
    """A beat 1.8 s after its predecessor, then one 0.4 s later but stamped 2.5 s early: each
    could be the spike. Taking the early one out leaves a 1.2 s interval, the other −0.3 s."""
    intervals = np.full(100, 0.8)
    intervals[49], intervals[50] = 1.8, 0.4
    beats = 10.0 + np.cumsum(intervals)
    sent = beats.copy()
    sent[50] -= 2.5
    guarded = TimestampGuard(0.0).apply(sent)
    assert guarded.keep is not None and np.flatnonzero(~guarded.keep).tolist() == [50]
    np.testing.assert_array_equal(guarded.timestamps, np.delete(beats, 50))


def test_live_silence_is_kept_but_a_future_stamp_is_not() -> None:
    guard = TimestampGuard(RATE_HZ)
    first = _true_times(500)
    guard.apply(first, arrival_s=float(first[-1]))
    resumed = _true_times(100, t0=float(first[-1]) + 30.0)  # outlet silent for 30 s
    out = guard.apply(resumed, arrival_s=float(resumed[-1]) + 0.01).timestamps
    np.testing.assert_array_equal(out, resumed)
    assert guard.stats.n_events == 0
    wild = _true_times(10, t0=float(resumed[-1]) + 0.01) + 1e6
    out = guard.apply(wild, arrival_s=float(resumed[-1]) + 0.11).timestamps
    np.testing.assert_allclose(out, wild - 1e6, atol=1e-6)
    assert guard.stats.n_jumps == 1


def test_a_sender_faster_than_real_time_is_not_a_jump() -> None:
    guard = TimestampGuard(RATE_HZ)
    true = _true_times(60_000)  # 10 min of stream time, published at 60x in 50 ms pulls
    for k, lo in enumerate(range(0, true.shape[0], 300)):
        out = guard.apply(true[lo : lo + 300], arrival_s=1000.0 + 0.05 * k).timestamps
        np.testing.assert_array_equal(out, true[lo : lo + 300])
    assert guard.stats.n_events == 0


def test_dejitter_smooths_jitter_and_is_not_poisoned_by_nan() -> None:
    rng = np.random.default_rng(3)
    true = _true_times(6000)
    ts = true + rng.uniform(0.0, 0.004, true.shape)
    ts[2000:2100] = np.nan
    guard = TimestampGuard(RATE_HZ, dejitter=True)
    out, keep, _ = _feed(guard, ts, 10)
    assert keep.all() and np.isfinite(out).all() and np.all(np.diff(out) > 0)
    late = slice(3000, None)
    assert np.std(np.diff(out[late])) < 0.1 * np.std(np.diff(ts[late]))
    assert guard.stats.n_nonfinite == 100


def test_dejitter_restarts_after_a_silence() -> None:
    guard = TimestampGuard(RATE_HZ, dejitter=True)
    first = _true_times(3000)
    for lo in range(0, 3000, 20):
        guard.apply(first[lo : lo + 20], arrival_s=float(first[lo + 19]))
    resumed = _true_times(200, t0=float(first[-1]) + 30.0)
    out = guard.apply(resumed[:20], arrival_s=float(resumed[19])).timestamps
    np.testing.assert_allclose(out, resumed[:20], atol=1e-6)
    assert guard.stats.n_events == 0


def test_a_sender_faster_than_its_rate_is_floored_on_the_compiled_path_too() -> None:
    """Timestamps 0.1 s apart on a stream declared at 4 Hz: the dejitter fit's slope falls
    below half a period, and both paths hold each stamp half a period after the last."""
    rate_hz = 4.0
    ts = 1000.0 + 0.1 * np.arange(2000)
    compiled = TimestampGuard(rate_hz, dejitter=True)
    general = TimestampGuard(rate_hz, dejitter=True)
    general._dejitter_good = lambda c, arrival_s: None  # type: ignore[method-assign]
    outs = []
    for lo in range(0, 2000, 20):
        arrival_s = float(ts[lo + 19]) + 0.01
        a, b = (
            compiled.apply(ts[lo : lo + 20], arrival_s),
            general.apply(ts[lo : lo + 20], arrival_s),
        )
        np.testing.assert_allclose(a.timestamps, b.timestamps, rtol=0, atol=1e-9)
        outs.append(a.timestamps)
    steps = np.diff(np.concatenate(outs))[20:]  # from the first chunk's last sample on
    assert steps.min() >= 0.5 / rate_hz - 1e-9 and np.isclose(steps[-1], 0.5 / rate_hz)


def test_two_restarts_in_one_chunk_each_start_a_fit() -> None:
    """One chunk steps ahead twice (a clock step, then a silence the arrival vouches for):
    each step restarts the dejitter fit, so no fit spans a step and runs ahead of the data."""
    rate_hz = 4.0
    guard = TimestampGuard(rate_hz, dejitter=True)
    true = 1000.0 + np.arange(600) / rate_hz
    for lo in range(0, 200, 10):
        guard.apply(true[lo : lo + 10], arrival_s=float(true[lo + 9]) + 0.02)
    ts = true.copy()
    ts[205:] += 6.0  # a lasting step ahead, within what a 30 s silence lets arrive
    ts[215:] += 30.0  # then the silence
    guard.apply(ts[200:225], arrival_s=float(ts[224]) + 0.02)
    n_jumps = guard.stats.n_jumps
    later = []
    for lo in range(225, 600, 15):
        stamped = guard.apply(ts[lo : lo + 15], arrival_s=float(ts[lo + 14]) + 0.02)
        later.append(stamped.timestamps - ts[lo : lo + 15])
    assert guard.stats.n_jumps == n_jumps  # the fit kept the data's pace: no jump after
    np.testing.assert_allclose(np.concatenate(later), 0.0, atol=0.5 / rate_hz)


@settings(max_examples=40, deadline=None)
@given(chunk=st.integers(1, 64), where=st.integers(1, 900), length=st.integers(1, 90))
def test_chunking_does_not_change_the_repair(chunk: int, where: int, length: int) -> None:
    ts = _true_times(1000)
    ts[where : where + length] = np.nan
    ts[min(where + length + 3, 999)] += 5000.0
    whole, _, _ = _feed(TimestampGuard(RATE_HZ), ts, 1000)
    parts, _, _ = _feed(TimestampGuard(RATE_HZ), ts, chunk)
    np.testing.assert_allclose(parts, whole, atol=1e-9)


def test_vectorised_line_fit_equals_point_by_point() -> None:
    rng = np.random.default_rng(0)
    x = np.arange(500, dtype=np.float64)
    y = 3.0 + 0.01 * x + rng.normal(0, 1e-3, x.shape)
    for prior_weight in (0.0, 1e4):
        one = RunningLineFit(0.01, 100.0, 5.0, prior_weight)
        many = RunningLineFit(0.01, 100.0, 5.0, prior_weight)
        for xi, yi in zip(x, y, strict=True):
            one.add(xi, yi)
        many.add_many(x[:123], y[:123])
        many.add_many(x[123:], y[123:])
        np.testing.assert_allclose(many.predict(x), one.predict(x), rtol=0, atol=1e-9)


@settings(max_examples=200, deadline=None)
@given(
    rate_hz=st.sampled_from([0.0, 4.0, 130.0]),
    dejitter=st.booleans(),
    chunks=st.lists(
        st.tuples(
            st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=12),
            st.one_of(st.none(), st.floats(-1e9, 1e9)),
        ),
        max_size=8,
    ),
)
def test_any_timestamps_give_finite_ones(
    rate_hz: float, dejitter: bool, chunks: list[tuple[list[float], float | None]]
) -> None:
    guard = TimestampGuard(rate_hz, dejitter=dejitter)
    for values, arrival_s in chunks:
        ts = np.array(values, dtype=np.float64)
        with np.errstate(all="ignore"):
            out = guard.apply(ts, arrival_s)
        kept = len(ts) if out.keep is None else int(out.keep.sum())
        assert out.timestamps.shape == (kept,)
        assert np.isfinite(out.timestamps).all()


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), rate_hz=st.sampled_from([4.0, 32.0, 250.0]))
@example(seed=36006, rate_hz=4.0)  # a wild sample once set a slow stream's clock running away
def test_the_compiled_common_case_stamps_as_the_general_path(seed: int, rate_hz: float) -> None:
    """A live stream's chunks (jitter, NaN runs, clock steps, a silence) through the guard
    with its compiled common case, and through its general path alone."""
    rng = np.random.default_rng(seed)
    n = 3000
    true = 1000.0 + np.arange(n) / rate_hz
    true[n // 2 :] += 30.0  # a silence: the dejitter fit restarts
    ts = true + rng.uniform(0.0, 0.2 / rate_hz, n)
    start = int(rng.integers(100, n - 200))
    ts[start : start + int(rng.integers(1, 50))] = np.nan
    ts[int(rng.integers(100, n))] -= 5.0  # one wild sample
    ts[int(rng.integers(100, n)) :] += float(rng.choice([-3.0, 2.0]))  # a lasting step
    compiled = TimestampGuard(rate_hz, dejitter=True)
    general = TimestampGuard(rate_hz, dejitter=True)
    general._dejitter_good = lambda c, arrival_s: None  # type: ignore[method-assign]
    by_the_loop: list[bool] = []  # per chunk that reached it: did the compiled loop stamp it?
    dejitter_good = compiled._dejitter_good

    def counted(c: np.ndarray, arrival_s: float | None) -> np.ndarray | None:
        by_the_loop.append((stamped := dejitter_good(c, arrival_s)) is not None)
        return stamped

    compiled._dejitter_good = counted  # type: ignore[method-assign]
    lo = 0
    while lo < n:
        hi = min(n, lo + int(rng.integers(0, 30)))
        arrival_s = float(true[max(hi - 1, 0)]) + float(rng.uniform(0.001, 0.05))
        a, b = compiled.apply(ts[lo:hi], arrival_s), general.apply(ts[lo:hi], arrival_s)
        np.testing.assert_allclose(a.timestamps, b.timestamps, rtol=0, atol=1e-9)
        assert (a.keep is None) == (b.keep is None) and a.gaps == b.gaps
        if a.keep is not None:
            assert np.array_equal(a.keep, b.keep)
        lo = hi
    assert compiled.stats == general.stats and compiled.stats.n_events > 0
    assert sum(by_the_loop) > 0.9 * len(by_the_loop) and not all(by_the_loop)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    rate_hz=st.sampled_from([4.0, 32.0, 250.0]),
    dejitter=st.booleans(),
    wild_s=st.sampled_from([-1e6, -30.0, -5.0, -1.5, 1e6]),
)
def test_one_wild_sample_anywhere_leaves_the_later_stamps_as_they_were(
    seed: int, rate_hz: float, dejitter: bool, wild_s: float
) -> None:
    """Any rate, chunks of 1–40 samples arriving at real pace, a wild sample (back, or ahead
    past what the arrival clock allows) anywhere: the stamps after it are those the stream
    gets without it."""
    rng = np.random.default_rng(seed)
    n = 1500
    true = 1000.0 + np.arange(n) / rate_hz
    clean = true + rng.uniform(0.0, 0.2 / rate_hz, n)
    where = int(rng.integers(100, n - 50))
    wild = clean.copy()
    wild[where] += wild_s
    bounds = np.unique(np.concatenate(([0], np.cumsum(rng.integers(1, 41, n)), [n])))
    bounds = bounds[bounds <= n]
    arrivals = true[bounds[1:] - 1] + rng.uniform(0.001, 0.05, bounds.size - 1)
    stamped = []
    for ts in (clean, wild):
        guard = TimestampGuard(rate_hz, dejitter=dejitter)
        parts = [
            guard.apply(ts[lo:hi], float(arrival_s)).timestamps
            for lo, hi, arrival_s in zip(bounds[:-1], bounds[1:], arrivals, strict=True)
        ]
        stamped.append(np.concatenate(parts))
        if dejitter:
            assert np.all(np.diff(stamped[-1]) > 0)
    np.testing.assert_allclose(stamped[1][where + 2 :], stamped[0][where + 2 :], rtol=0, atol=0.01)


#: (read live, wild beat's error in s). Live, a beat at a chunk's edge that is off by about a
#: beat interval back cannot be told from its neighbours.
WILD_BEATS = [(True, w) for w in (-1e6, -30.0, -5.0, 3.0, 30.0, 1e6)] + [
    (False, w) for w in (-1e6, -30.0, -5.0, -2.5, 3.0, 30.0, 1e6)
]


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), case=st.sampled_from(WILD_BEATS))
def test_one_wild_beat_anywhere_leaves_the_other_beats_as_they_were(
    seed: int, case: tuple[bool, float]
) -> None:
    """An irregular stream (beats 0.3–2 s apart), read live in chunks of 1–4 beats or as a
    recording: one wild beat costs at most itself, and the other beats keep their times."""
    live, wild_s = case
    rng = np.random.default_rng(seed)
    n = 400
    true = 1000.0 + np.cumsum(rng.uniform(0.3, 2.0, n))
    where = int(rng.integers(50, n - 10))
    sent = true.copy()
    sent[where] += wild_s
    if live:
        bounds = np.unique(np.concatenate(([0], np.cumsum(rng.integers(1, 5, n)), [n])))
        bounds = bounds[bounds <= n]
    else:
        bounds = np.array([0, n])
    guard = TimestampGuard(0.0)
    stamps = np.full(n, np.nan)
    for lo, hi in pairwise(bounds):
        part = guard.apply(sent[lo:hi], float(true[hi - 1]) + 0.05 if live else None)
        kept = np.arange(lo, hi) if part.keep is None else np.arange(lo, hi)[part.keep]
        stamps[kept] = part.timestamps
    others = np.delete(np.arange(n), where)
    np.testing.assert_allclose(stamps[others], true[others], rtol=0, atol=1e-9)
    assert guard.stats.n_jumps <= 2
