"""Mapping device time and packet arrival onto the LSL clock (pure, stateful, no I/O).

- `RunningLineFit`: weighted least-squares line with exponential forgetting, so it follows a
  slowly drifting clock and forgets old data in bounded memory.
- `PolarClockMap`: device nanoseconds → LSL seconds (Polar H10 PMD frames).
- `PacketClock`: sample number → LSL seconds from packet arrivals (Muse).
- `rr_beat_times_s`: beat times back-projected from a heart-rate notification's arrival.
- `MonotonicStamps`: keeps a stream's timestamps strictly increasing and counts adjustments.
"""

from __future__ import annotations

import numpy as np


class RunningLineFit:
    """y ≈ a + b·x, least squares with forgetting factor 1 − 1/memory.

    Until the weighted x-spread reaches `min_span_x`, the slope is `prior_slope` (the nominal
    rate) and only the intercept is fitted, so the first points already give usable times.
    With `prior_weight` > 0 the slope instead moves smoothly from the prior to the data's (a
    ridge penalty on the slope, worth that much weighted x-variance), so predictions never
    step when the spread crosses a threshold. x and y are stored relative to the first point
    (`x0`, `y0`) to keep float64 precision; `sums` holds the weighted sums of 1, x, y, x² and
    xy, in that order (`emostream.core.dejitter_loop` updates them in place).
    """

    def __init__(
        self, prior_slope: float, memory: float, min_span_x: float, prior_weight: float = 0.0
    ) -> None:
        self.prior_slope = prior_slope
        self.decay = 1.0 - 1.0 / memory
        self.min_span_x = min_span_x
        self.prior_weight = prior_weight
        self.n = 0
        self.x0 = 0.0
        self.y0 = 0.0
        self.sums = np.zeros(5)

    def reset(self) -> None:
        self.__init__(  # type: ignore[misc]
            self.prior_slope, 1.0 / (1.0 - self.decay), self.min_span_x, self.prior_weight
        )

    def add(self, x: float, y: float) -> None:
        if self.n == 0:
            self.x0, self.y0 = x, y
        dx, dy = x - self.x0, y - self.y0
        w, sx, sy, sxx, sxy = self.sums.tolist()
        d = self.decay
        self.sums[:] = (
            d * w + 1.0, d * sx + dx, d * sy + dy, d * sxx + dx * dx, d * sxy + dx * dy
        )  # fmt: skip
        self.n += 1

    def add_many(self, x: np.ndarray, y: np.ndarray) -> None:
        """`add` for each point in order, vectorised."""
        m = x.shape[0]
        if not m:
            return
        if self.n == 0:
            self.x0, self.y0 = float(x[0]), float(y[0])
        dx, dy = x - self.x0, y - self.y0
        d = self.decay
        w = d ** np.arange(m - 1, -1, -1, dtype=np.float64)
        added = (float(w.sum()), float(w @ dx), float(w @ dy), float(w @ (dx * dx)),
                 float(w @ (dx * dy)))  # fmt: skip
        self.sums *= d**m
        self.sums += added
        self.n += m

    @property
    def slope(self) -> float:
        w, sx, sy, sxx, sxy = self.sums.tolist()
        if self.prior_weight > 0:
            var_w = sxx - sx * sx / w
            cov_w = sxy - sx * sy / w
            return (cov_w + self.prior_weight * self.prior_slope) / (var_w + self.prior_weight)
        var = sxx / w - (sx / w) ** 2
        if self.n < 3 or var <= 0 or np.sqrt(var) < self.min_span_x:
            return self.prior_slope
        cov = sxy / w - (sx / w) * (sy / w)
        return cov / var

    def predict(self, x: np.ndarray | float) -> np.ndarray:
        """Fitted y at x (requires at least one point)."""
        b = self.slope
        w, sx, sy = self.sums.tolist()[:3]
        a = sy / w - b * sx / w
        return self.y0 + a + b * (np.asarray(x, dtype=np.float64) - self.x0)


class PolarClockMap:
    """Polar device clock (ns since 2000) → LSL seconds, fitted on (frame time, arrival) pairs.

    The fit keeps running across reconnects (the device clock does not restart), so drift of
    the device crystal (e.g. 100 ppm) is tracked by the slope. Arrival latency is absorbed as
    a constant offset.
    """

    def __init__(self, memory_frames: float = 400.0, min_span_s: float = 5.0) -> None:
        self.fit = RunningLineFit(prior_slope=1.0, memory=memory_frames, min_span_x=min_span_s)

    def add_frame(self, timestamp_ns: int, arrival_s: float) -> None:
        self.fit.add(timestamp_ns * 1e-9, arrival_s)

    def to_lsl(self, device_ns: np.ndarray) -> np.ndarray:
        return self.fit.predict(np.asarray(device_ns, dtype=np.int64) * 1e-9)

    @property
    def drift_ppm(self) -> float:
        """How much faster the device clock runs than the LSL clock, in ppm."""
        return (1.0 / self.fit.slope - 1.0) * 1e6


class PacketClock:
    """Sample number → LSL seconds by a running least-squares line through packet arrivals.

    Each packet contributes (number of its last sample, earliest arrival of its notifications).
    The nominal rate is the prior slope; jittered arrivals average out in the fit.
    """

    def __init__(
        self, fs_hz: float, memory_packets: float = 2000.0, min_span_s: float = 2.0
    ) -> None:
        self.fs_hz = fs_hz
        self.fit = RunningLineFit(1.0 / fs_hz, memory_packets, min_span_s * fs_hz)

    def reset(self) -> None:
        self.fit.reset()

    def add_packet(self, last_sample: int, arrival_s: float) -> None:
        self.fit.add(float(last_sample), arrival_s)

    def to_lsl(self, samples: np.ndarray) -> np.ndarray:
        return self.fit.predict(np.asarray(samples, dtype=np.float64))


def rr_beat_times_s(arrival_s: float, rr_s: np.ndarray) -> np.ndarray:
    """Times of the beats that end each RR interval: the last beat at arrival, earlier ones
    back-projected by subtracting the later intervals cumulatively."""
    rr = np.asarray(rr_s, dtype=np.float64)
    after = np.concatenate((np.cumsum(rr[::-1])[::-1][1:], [0.0]))
    return arrival_s - after


class MonotonicStamps:
    """Keeps one stream's timestamps strictly increasing across chunks.

    A timestamp not later than its predecessor is moved to predecessor + `min_step_s`; the
    number of moved samples is counted in `n_adjusted` (it is never done silently).
    """

    def __init__(self, min_step_s: float = 1e-6) -> None:
        self.min_step_s = min_step_s
        self.last_s = -np.inf
        self.n_adjusted = 0

    def apply(self, timestamps: np.ndarray) -> np.ndarray:
        ts = np.asarray(timestamps, dtype=np.float64)
        if not ts.size:
            return ts
        if ts[0] <= self.last_s or np.any(np.diff(ts) <= 0):
            out = ts.copy()
            prev = self.last_s
            for i, t in enumerate(ts):
                out[i] = t if t > prev else prev + self.min_step_s
                prev = out[i]
            self.n_adjusted += int(np.count_nonzero(out != ts))
            ts = out
        self.last_s = float(ts[-1])
        return ts
