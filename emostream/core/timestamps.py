"""Timestamp guard: one bad timestamp never costs a stream (pure, stateful, no I/O).

Per sample, a timestamp is bad when it is not finite or when it jumps: a step back of more
than `max_jump_s`, or a step ahead of more than `max_jump_s` plus what the arrival clock
allows: the time since the previous chunk arrived, times twice the pace at which the stream's
timestamps have been running against the arrival clock (so that senders replaying faster than
real time pass), or `MAX_SPEED` times it until `PACE_SPAN_S` of arrivals have been seen.
Without an arrival clock, as in a recording, or for a source's first chunk, a step ahead of
more than `max_gap_s` is a jump. Every bad sample is
counted. A regular stream's bad samples get the time its rate predicts. A lone outlier (one
sample off its clock by more than `max_jump_s`, the next sample in its chunk back on it) is
only re-stamped. At any other jump the clock is re-anchored, so the samples after a lasting
clock step continue seamlessly; after a re-anchoring the next sample may step ahead by no more
than a period plus `max_jump_s`, so a wild sample that ended its chunk is a jump away and one back, where
the clock takes its offset from before the jump again if that puts the sample on it. (A wild
sample ahead that ends its chunk, within what the arrival clock allows, passes as a silence;
in an irregular stream read live, if it was stamped over `max_jump_s` after it arrived and the
next chunk starts back between it and the sample before it, that sample keeps its time.)
An irregular stream's bad samples are dropped and the time they covered is reported as a gap;
its lone outlier is a spike (the next sample jumps the other way, back to the clock before it),
and live it is re-anchored to the arrival clock (its chunk's last sample to the chunk's
arrival), after which the next chunk may end no later than `max_jump_s` after it arrived (plus
how far a sender faster than real time runs ahead).
The next good sample always resumes the stream. Good samples keep their timestamps, unless
`dejitter`.

With `dejitter`, a regular stream's good samples are stamped by a running line fit of
timestamp against sample number, as liblsl's dejitter does, but blind to bad samples (liblsl's
turns every later timestamp NaN after one non-finite one), with a slope that moves smoothly
from the nominal rate, restarted when a silence shows as a step ahead of the fit (by
`RESTART_PERIODS` sample periods, or by `max_jump_s` if that is less: a slow stream's fit never
spans a silence), and never stepping back.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from emostream.timing import RunningLineFit

#: a sender's clock may run this many times faster than the arrival clock (sped-up replays)
MAX_SPEED = 100.0
#: arrivals spanning this long give the stream's pace against the arrival clock
PACE_SPAN_S = 5.0
#: the dejitter fit forgets with this half-life (liblsl's default), in seconds of samples
DEJITTER_HALFLIFE_S = 90.0
#: the nominal rate weighs as much as this many seconds of evenly spaced samples
DEJITTER_PRIOR_S = 2.0
#: a step ahead of the dejitter fit by more than this many sample periods restarts the fit
RESTART_PERIODS = 20.0


@dataclass(slots=True)
class TimestampStats:
    """What the guard found and did; `n_repaired + n_dropped` samples had bad timestamps or
    were re-anchored at a jump."""

    n_nonfinite: int = 0
    n_jumps: int = 0
    n_repaired: int = 0
    n_dropped: int = 0

    @property
    def n_events(self) -> int:
        return self.n_nonfinite + self.n_jumps


@dataclass(frozen=True, slots=True)
class Guarded:
    """Timestamps of the kept samples; `keep` masks the input (None: all kept); `gaps` are
    (from, to) spans whose samples were dropped."""

    timestamps: np.ndarray
    keep: np.ndarray | None = None
    gaps: tuple[tuple[float, float], ...] = ()


@dataclass
class TimestampGuard:
    """Checks and repairs one stream's timestamps chunk by chunk (see the module docstring)."""

    rate_hz: float
    max_jump_s: float = 1.0
    max_gap_s: float = 3600.0
    dejitter: bool = False
    stats: TimestampStats = field(default_factory=TimestampStats)
    #: added to incoming timestamps since the last re-anchoring
    offset_s: float = 0.0
    #: the last timestamp handed on
    last_s: float = -math.inf

    def __post_init__(self) -> None:
        self._period_s = 1.0 / self.rate_hz if self.rate_hz > 0 else 0.0
        self._fit: RunningLineFit | None = None
        # a step ahead of the fit restarts it: by RESTART_PERIODS, or at a slow rate by
        # `max_jump_s` (no fit spans a silence the arrival clock vouched for)
        self._restart_s = min(RESTART_PERIODS * self._period_s, self.max_jump_s)
        if self.dejitter and self._period_s:
            from emostream.core import dejitter_loop  # compiled: only where it is used

            dejitter_loop.warm_up()
            self._stamp_good_chunk = dejitter_loop.dejitter_good_chunk
            n_prior = self.rate_hz * DEJITTER_PRIOR_S  # x-variance·weight of n evenly spaced
            self._fit = RunningLineFit(
                self._period_s,
                memory=self.rate_hz * DEJITTER_HALFLIFE_S / math.log(2.0),
                min_span_x=0.0,
                prior_weight=n_prior**3 / 12.0,
            )
        self._n = 0  # sample number of the next sample (the dejitter fit's x)
        self._gap_from: float | None = None  # irregular: start of the span being dropped
        self._gaps: list[tuple[float, float]] = []  # dropped spans ended in this chunk
        self._last_arrival_s: float | None = None
        self._first: tuple[float, float] | None = None  # (timestamp, arrival) of the first
        # the offset before the last sample handed on was re-anchored at a jump (else None)
        self._offset_before_anchor: float | None = None
        # irregular, live: the sample before the last one handed on, when that one stepped
        # ahead by more than `max_jump_s` and was stamped that much after it arrived (a wild
        # sample ahead, passed as a silence; else None)
        self._before_step_s: float | None = None
        self._before_last_s = -math.inf  # the sample handed on before the last one

    @property
    def regular(self) -> bool:
        return self._period_s > 0

    def apply(self, timestamps: np.ndarray, arrival_s: float | None = None) -> Guarded:
        """Check one chunk's timestamps; `arrival_s` is when it arrived, on the same clock."""
        c = np.asarray(timestamps, dtype=np.float64) + self.offset_s
        n = c.shape[0]
        if self._fit is not None and self._fit.n and self._gap_from is None and n:
            stamped = self._dejitter_good(c, arrival_s)
            if stamped is not None:
                self._arrived(arrival_s)
                return Guarded(stamped)
        out = np.empty(n)
        keep = np.ones(n, dtype=bool)
        self._gaps = []
        i = 0
        while i < n:
            j, lone = self._first_bad(c[i:], arrival_s)
            j += i
            if j > i:
                out[i:j] = self._accept(c[i:j])
            if j >= n:
                break
            back = self._back_to_clock(c[j], arrival_s, first=j == 0)
            # a chunk's first sample back on the clock: the step back to it is the wild one's
            if lone and not (j == 0 and back is not None):  # re-stamped, or dropped
                self.stats.n_jumps += 1
                if self.regular:
                    out[j] = self._repair(1)[0]
                else:
                    self._drop(keep, j, j + 1)
                i = j + 1
                continue
            if not math.isfinite(c[j]):
                k = j + 1 + int(np.argmax(np.append(np.isfinite(c[j + 1 :]), True)))
                self.stats.n_nonfinite += k - j
                if self.regular and math.isfinite(self.last_s):
                    out[j:k] = self._repair(k - j)
                else:
                    self._drop(keep, j, k)
                i = k
                continue
            self.stats.n_jumps += 1
            returned = back is not None
            if back is not None:  # a wild sample's clock returns: as it was
                delta = back
            elif self.regular and math.isfinite(self.last_s):
                delta = self._predict(1)[0] - c[j]
            elif arrival_s is not None:  # the chunk's last sample arrived at `arrival_s`
                span_s = c[-1] - c[j]
                on_one_clock = self._last_arrival_s is not None and (
                    0.0 <= span_s <= self.max_jump_s + self._run_s(arrival_s)
                )
                delta = arrival_s - (c[-1] if on_one_clock else c[j])
            else:
                self._drop(keep, j, j + 1)
                i = j + 1
                continue
            c[j:] += delta
            self.offset_s += delta
            out[j] = self._accept(c[j : j + 1])[0]
            if not returned:  # the sample at the jump is re-stamped and taken as the new anchor
                self.stats.n_repaired += 1
                self._offset_before_anchor = self.offset_s - delta
            i = j + 1
        if not self.regular:
            self._before_step_s = self._before_wild_step(arrival_s)
        self._arrived(arrival_s)
        gaps = tuple(self._gaps)
        return Guarded(out, None, gaps) if keep.all() else Guarded(out[keep], keep, gaps)

    def _arrived(self, arrival_s: float | None) -> None:
        if arrival_s is not None:
            self._last_arrival_s = arrival_s
            if self._first is None and math.isfinite(self.last_s):
                self._first = (self.last_s, arrival_s)

    def _dejitter_good(self, c: np.ndarray, arrival_s: float | None) -> np.ndarray | None:
        """`_accept(c)` in one compiled loop when every timestamp of `c` is good and none
        restarts the fit; else None, having changed nothing."""
        fit = self._fit
        assert fit is not None
        out = np.empty(c.shape[0])
        if not self._stamp_good_chunk(
            c,
            self.last_s,
            self.max_jump_s,
            self._max_ahead_s(arrival_s),
            self._restart_s,
            self._period_s,
            float(self._n),
            fit.x0,
            fit.y0,
            fit.decay,
            fit.prior_slope,
            fit.prior_weight,
            fit.sums,
            out,
        ):
            return None
        fit.n += c.shape[0]
        self._n += c.shape[0]
        self.last_s = float(out[-1])
        self._offset_before_anchor = None
        return out

    def _on_clock(self, t_s: float, arrival_s: float | None) -> bool:
        """Whether a timestamp lies within `max_jump_s` of where the stream's clock puts the
        next sample (for an irregular stream: not back by more, nor ahead by a jump)."""
        if self.regular:
            return abs(t_s - self._predict(1)[0]) <= self.max_jump_s
        return -self.max_jump_s <= t_s - self.last_s <= self._max_ahead_s(arrival_s)

    def _back_to_clock(self, t_s: float, arrival_s: float | None, first: bool) -> float | None:
        """The shift that puts a sample that jumped back on the clock from before a wild
        sample: one re-anchored at a jump, or (at the start of an irregular stream's chunk)
        one passed as a silence; None when the sample is not back on it."""
        if self._offset_before_anchor is not None:
            back = self._offset_before_anchor - self.offset_s
            return back if self._on_clock(t_s + back, arrival_s) else None
        before = self._before_step_s  # back between the samples either side of that step
        if first and before is not None and before < t_s < self.last_s - self.max_jump_s:
            return 0.0
        return None

    def _before_wild_step(self, arrival_s: float | None) -> float | None:
        """Live, the sample before the last one handed on when that one stepped ahead by more
        than `max_jump_s` and was stamped as much after it arrived: a silence, or a wild
        sample ahead whose next sample will tell."""
        if arrival_s is None or self.last_s - arrival_s <= self.max_jump_s:
            return None
        before = self._before_last_s
        return before if self.last_s - before > self.max_jump_s else None

    def _run_s(self, arrival_s: float) -> float:
        """How far the timestamps advance, at the stream's pace, since the previous chunk."""
        assert self._last_arrival_s is not None
        return 0.5 * self._pace() * max(0.0, arrival_s - self._last_arrival_s)

    def _max_ahead_s(self, arrival_s: float | None) -> float:
        """How far one timestamp may step ahead of the previous one."""
        if arrival_s is not None and self._last_arrival_s is not None:
            return self.max_jump_s + self._pace() * max(0.0, arrival_s - self._last_arrival_s)
        return self.max_gap_s

    def _first_bad(self, c: np.ndarray, arrival_s: float | None) -> tuple[int, bool]:
        """Index of the first bad timestamp in `c` (len(c) when all are good), and whether
        it is a regular stream's lone outlier: off its clock by over `max_jump_s`, while the
        next sample is back on it."""
        prev = np.empty_like(c)
        prev[0] = self.last_s if math.isfinite(self.last_s) else c[0]
        prev[1:] = c[:-1]
        step = c - prev
        ahead_s = self._max_ahead_s(arrival_s)
        bad = ~np.isfinite(step) | (step < -self.max_jump_s) | (step > ahead_s)
        if self._offset_before_anchor is not None:  # a wild sample's clock returning is a jump
            if self.regular:
                bad[0] |= step[0] - self._period_s > self.max_jump_s
            elif arrival_s is not None and self._last_arrival_s is not None:
                # anchored to the arrival clock: a chunk cannot end after it arrived
                since_s = max(0.0, arrival_s - self._last_arrival_s)
                ahead_s = self.max_jump_s + self._run_s(arrival_s) - since_s
                bad[0] |= c[-1] - arrival_s > ahead_s
        lone = np.zeros_like(bad)
        if self.regular:
            off = np.abs(step[:-1] - self._period_s) > self.max_jump_s
            off &= np.isfinite(step[:-1])  # a non-finite one is counted as such
            back = np.abs(c[1:] - prev[:-1] - 2.0 * self._period_s) <= self.max_jump_s
            lone[:-1] = off & back
        elif c.shape[0] > 1:  # a spike: the next sample jumps the other way, to the clock before
            spike = (np.abs(step[:-1]) > self.max_jump_s) & (np.abs(step[1:]) > self.max_jump_s)
            if spike.any():
                spike &= np.sign(step[1:]) == -np.sign(step[:-1])
                bridge = c[1:] - prev[:-1]  # the step left when the sample is taken out
                lone[:-1] = spike & (bridge >= -self.max_jump_s)
                # two neighbours that could each be the spike: the one whose bridge is longer
                lone[:-2] &= ~(lone[1:-1] & (bridge[:-1] < bridge[1:]))
        bad |= lone
        j = int(np.argmax(bad)) if bad.any() else c.shape[0]
        return j, j < c.shape[0] and bool(lone[j])

    def _pace(self) -> float:
        """How many times faster than the arrival clock the timestamps may advance."""
        if self._first is None or self._last_arrival_s is None:
            return MAX_SPEED
        span_s = self._last_arrival_s - self._first[1]
        if span_s < PACE_SPAN_S:
            return MAX_SPEED
        return min(MAX_SPEED, 2.0 * max(1.0, (self.last_s - self._first[0]) / span_s))

    def _accept(self, c: np.ndarray) -> np.ndarray:
        """Good samples: passed on, or stamped by the dejitter fit; they end a dropped span."""
        if self._gap_from is not None:
            self._gaps.append((self._gap_from, float(c[0])))
            self._gap_from = None
        self._offset_before_anchor = None
        m = c.shape[0]
        if self._fit is None:
            self._before_last_s = float(c[-2]) if m > 1 else self.last_s
            self._n += m
            self.last_s = float(c[-1])
            return c
        x = np.arange(self._n, self._n + m, dtype=np.float64)
        out = np.empty(m)
        restart_s = self._restart_s
        lo = 0
        while lo < m:  # one segment per fit: each step ahead restarts it
            if self._fit.n:
                ahead = c[lo:] - self._fit.predict(x[lo:]) > restart_s
            else:  # a fresh fit: up to the next step ahead from one sample to the next
                ahead = np.concatenate(([False], np.diff(c[lo:]) - self._period_s > restart_s))
            hi = lo + int(np.argmax(ahead)) if ahead.any() else m
            if hi > lo:
                self._fit.add_many(x[lo:hi], c[lo:hi])
                out[lo:hi] = self._fit.predict(x[lo:hi])
            if hi < m:
                self._fit.reset()
            lo = hi
        # never step back: at worst half a period after the previous sample
        floor = self.last_s + 0.5 * self._period_s * np.arange(1, m + 1)
        np.maximum(out, floor, out=out)
        self._n += m
        self.last_s = float(out[-1])
        return out

    def _predict(self, m: int) -> np.ndarray:
        """Times the stream's rate gives the next `m` samples."""
        if self._fit is not None and self._fit.n:
            return self._fit.predict(np.arange(self._n, self._n + m, dtype=np.float64))
        return self.last_s + self._period_s * np.arange(1, m + 1)

    def _repair(self, m: int) -> np.ndarray:
        """Re-stamp `m` samples from the rate."""
        self.stats.n_repaired += m
        times = self._predict(m)
        self._n += m
        self.last_s = float(times[-1])
        return times

    def _drop(self, keep: np.ndarray, lo: int, hi: int) -> None:
        keep[lo:hi] = False
        self.stats.n_dropped += hi - lo
        if self._gap_from is None and math.isfinite(self.last_s):
            self._gap_from = self.last_s
