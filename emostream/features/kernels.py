"""Compiled loops (numba) where streaming makes NumPy's per-call overhead the main cost.

A live stream arrives in small chunks and short windows, where a chain of NumPy calls costs
far more in call overhead than in arithmetic. These loops do the same work in one call: the
beat detectors' causal front ends (state carried in small arrays, so the output does not
depend on the chunking), local maxima and their prominences (a block's most prominent peak,
EDA's SCRs), the IIR filter recurrence, the beat-template correlation, the RR artifact rule
and statistics, the natural cubic spline for LF/HF, and the voice's glottal-pulse chain. Each
is tested against the NumPy/SciPy operation it replaces (tests/features/test_kernels.py).

A moving mean over k samples keeps a ring of the last k running sums (zeros before the
start), each the previous one plus the new sample, as `np.cumsum` computes them; a delay line
keeps a ring of the last inputs.
"""

from __future__ import annotations

import functools

import numpy as np
from numba import njit

#: intervals come from timestamp differences, so a difference of exactly 50 ms can come out a
#: rounding error above it; pNN50 counts a difference over 50 ms only beyond this (1 µs)
PNN50_ROUNDING_MS = 1e-3


@njit(cache=True, inline="always")
def _mean_step(ring: np.ndarray, state: np.ndarray, value: float) -> float:
    """Push `value` into a moving mean (state: [running sum, ring position]); return the mean
    of its last len(ring) inputs."""
    total = state[0] + value
    p = int(state[1])
    out = (total - ring[p]) / ring.size
    ring[p] = total
    state[0] = total
    state[1] = p + 1 if p + 1 < ring.size else 0
    return out


@njit(cache=True, inline="always")
def _delay_step(ring: np.ndarray, state: np.ndarray, value: float) -> float:
    """Push `value` into a delay line (state: [ring position]); return the value pushed
    len(ring) samples ago."""
    if ring.size == 0:
        return value
    p = int(state[0])
    out = ring[p]
    ring[p] = value
    state[0] = p + 1 if p + 1 < ring.size else 0
    return out


@njit(cache=True, nogil=True)
def ecg_front(
    x: np.ndarray, rings: tuple, states: np.ndarray, clean: np.ndarray, flags: np.ndarray
) -> None:
    """NeuroKit2-style ECG front end, causal: baseline = moving mean (centred by a delay),
    power-line filter = two moving means (a triangular FIR), |gradient|, short and long moving
    means of it; `flags` = the short mean (delayed to the long one's centre) exceeds 1.5x the
    long one.

    rings: (baseline sums, centre delay, line sums 1, line sums 2, smooth sums, long-mean sums,
    smooth delay); states: one row [sum or position, position] per ring, the last row holds
    the previous cleaned sample.
    """
    base, centre, line1, line2, smooth_sums, avg_sums, smooth_delay = rings
    for t in range(x.size):
        v = x[t]
        baseline = _mean_step(base, states[0], v)
        detrended = _delay_step(centre, states[1], v) - baseline
        c = _mean_step(line2, states[3], _mean_step(line1, states[2], detrended))
        clean[t] = c
        grad = abs(c - states[7, 0])
        states[7, 0] = c
        smooth = _mean_step(smooth_sums, states[4], grad)
        avg = _mean_step(avg_sums, states[5], smooth)
        flags[t] = _delay_step(smooth_delay, states[6], smooth) > 1.5 * avg


@njit(cache=True, nogil=True)
def ppg_front(
    clean: np.ndarray,
    sum_ring: np.ndarray,
    k_peak: int,
    shift: int,
    state: np.ndarray,
    flags: np.ndarray,
) -> None:
    """Elgendi's block detection on a band-passed PPG: energy = max(x, 0)², its moving means
    over k_beat (= len(sum_ring) - 1) and k_peak samples (the short one `shift` samples earlier)
    and its running mean; `flags` = short mean > long mean + 0.02 x running mean.

    sum_ring holds the last k_beat + 1 running sums of the energy (zeros before the start);
    state: [running sum, samples seen, ring position of the newest sum].
    """
    size = sum_ring.size
    k_beat = size - 1
    for t in range(clean.size):
        v = clean[t]
        energy = v * v if v > 0.0 else 0.0
        total = state[0] + energy
        state[0] = total
        state[1] += 1.0
        newest = int(state[2]) + 1
        if newest == size:
            newest = 0
        sum_ring[newest] = total
        state[2] = newest
        a = newest - shift
        b = a - k_peak
        c = newest - k_beat
        s_a = sum_ring[a if a >= 0 else a + size]
        s_b = sum_ring[b if b >= 0 else b + size]
        s_c = sum_ring[c if c >= 0 else c + size]
        ma_peak = (s_a - s_b) / k_peak
        ma_beat = (total - s_c) / k_beat
        flags[t] = ma_peak > ma_beat + 0.02 * (total / state[1])


@njit(cache=True, nogil=True)
def transitions(flags: np.ndarray, state: bool) -> np.ndarray:
    """Indices where `flags` changes, starting from `state` before index 0."""
    out = np.empty(flags.size, dtype=np.int64)
    n = 0
    for i in range(flags.size):
        if flags[i] != state:
            out[n] = i
            n += 1
            state = flags[i]
    return out[:n]


@njit(cache=True, inline="always")
def _next_peak(x: np.ndarray, i: int) -> tuple[int, int]:
    """The first local maximum of `x` found from index `i` on, as `scipy.signal.find_peaks`
    defines them (higher than the sample before and the sample after its flat top, which counts
    once, at its middle), and the index to search on from; (-1, x.size) when there is none."""
    n = x.size
    while i < n - 1:
        if x[i - 1] < x[i]:
            ahead = i + 1
            while ahead < n - 1 and x[ahead] == x[i]:
                ahead += 1
            if x[ahead] < x[i]:
                return (i + ahead - 1) // 2, ahead + 1
        i += 1
    return -1, n


@njit(cache=True, inline="always")
def _prominence(x: np.ndarray, peak: int) -> float:
    """A peak's height above the higher of the lowest points on each side before a higher
    sample (`scipy.signal.peak_prominences` with no window)."""
    height = x[peak]
    left_min = height
    j = peak
    while j >= 0 and x[j] <= height:
        left_min = min(left_min, x[j])
        j -= 1
    right_min = height
    j = peak
    while j < x.size and x[j] <= height:
        right_min = min(right_min, x[j])
        j += 1
    return height - max(left_min, right_min)


@njit(cache=True, nogil=True)
def local_maxima(x: np.ndarray) -> np.ndarray:
    """Indices of the local maxima of `x` (`scipy.signal.find_peaks(x)[0]`)."""
    out = np.empty(x.size // 2 + 1, dtype=np.int64)
    n = 0
    peak, i = _next_peak(x, 1)
    while peak >= 0:
        out[n] = peak
        n += 1
        peak, i = _next_peak(x, i)
    return out[:n]


@njit(cache=True, nogil=True)
def peak_prominences(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Local maxima of `x` and their prominences (`scipy.signal.find_peaks(x,
    prominence=(None, None))`)."""
    peaks = local_maxima(x)
    prominences = np.empty(peaks.size)
    for k in range(peaks.size):
        prominences[k] = _prominence(x, peaks[k])
    return peaks, prominences


@njit(cache=True, nogil=True)
def most_prominent_peak(x: np.ndarray) -> int:
    """Index of the local maximum of `x` with the largest prominence, or -1 if none (the first
    of equal prominences wins)."""
    best, best_prominence = -1, -1.0
    peak, i = _next_peak(x, 1)
    while peak >= 0:
        prominence = _prominence(x, peak)
        if prominence > best_prominence:
            best, best_prominence = peak, prominence
        peak, i = _next_peak(x, i)
    return best


@njit(cache=True, nogil=True)
def lfilter(b: np.ndarray, a: np.ndarray, x: np.ndarray, zi: np.ndarray) -> np.ndarray:
    """`x` through the IIR filter (b, a) in direct form II transposed, as
    `scipy.signal.lfilter(b, a, x, zi=zi)` computes it; `a[0]` must be 1, `b` and `a` of one
    length, and `zi` (length - 1) is the state, carried over in place."""
    y = np.empty(x.size)
    order = zi.size
    for t in range(x.size):
        xt = x[t]
        yt = zi[0] + b[0] * xt
        for i in range(order - 1):
            zi[i] = zi[i + 1] + xt * b[i + 1] - yt * a[i + 1]
        zi[order - 1] = xt * b[order] - yt * a[order]
        y[t] = yt
    return y


@njit(cache=True, nogil=True)
def template_correlation(segment: np.ndarray, template: np.ndarray, alpha: float) -> float:
    """Correlation of a beat segment with the running template, which then moves `alpha` of
    the way towards the segment (both mean-removed; the segment scaled to unit norm). An empty
    template (all zeros) is initialised with the segment and the correlation is 1."""
    n = segment.size
    mean = 0.0
    for i in range(n):
        mean += segment[i]
    mean /= n
    norm = 0.0
    for i in range(n):
        norm += (segment[i] - mean) ** 2
    norm = np.sqrt(norm)
    if norm == 0.0:
        return 0.0
    template_norm = 0.0
    for i in range(n):
        template_norm += template[i] ** 2
    if template_norm == 0.0:
        for i in range(n):
            template[i] = (segment[i] - mean) / norm
        return 1.0
    dot = 0.0
    for i in range(n):
        unit = (segment[i] - mean) / norm
        dot += unit * template[i]
        template[i] = (1.0 - alpha) * template[i] + alpha * unit
    return dot / np.sqrt(template_norm)


@njit(cache=True, inline="always")
def _sorted_quantile(sorted_x: np.ndarray, q: float) -> float:
    """Quantile of a sorted array, interpolated linearly as `np.quantile` does."""
    pos = q * (sorted_x.size - 1)
    lo = int(pos)
    hi = min(lo + 1, sorted_x.size - 1)
    return sorted_x[lo] + (sorted_x[hi] - sorted_x[lo]) * (pos - lo)


@njit(cache=True, nogil=True)
def rr_artifact_mask(
    rri_ms: np.ndarray,
    alpha: float,
    median_order: int,
    rri_min_ms: float,
    rri_max_ms: float,
    max_median_deviation: float,
) -> np.ndarray:
    """Artifact intervals of one window (see `hrv.rr_artifacts`): out of range; too far from
    the window median; or beyond both Lipponen–Tarvainen thresholds, which are `alpha` times
    the quartile deviation of |successive differences| and of |departures from the local
    median of `median_order` intervals| (edge-padded, departures below it doubled)."""
    n = rri_ms.size
    bad = np.empty(n, dtype=np.bool_)
    for i in range(n):
        bad[i] = rri_ms[i] < rri_min_ms or rri_ms[i] > rri_max_ms
    if n < median_order:
        return bad
    median = _sorted_quantile(np.sort(rri_ms), 0.5)
    for i in range(n):
        if abs(rri_ms[i] - median) > max_median_deviation * median:
            bad[i] = True
    half = median_order // 2
    window = np.empty(median_order)
    jump = np.empty(n)
    departure = np.empty(n)
    for i in range(n):
        for j in range(median_order):  # insertion sort: the window is short
            v = rri_ms[min(max(i - half + j, 0), n - 1)]
            k = j
            while k > 0 and window[k - 1] > v:
                window[k] = window[k - 1]
                k -= 1
            window[k] = v
        d = rri_ms[i] - window[half]
        departure[i] = abs(d * 2.0 if d < 0 else d)
        jump[i] = abs(rri_ms[i] - rri_ms[i - 1]) if i > 0 else 0.0
    thresholds = np.empty(2)
    for r, values in enumerate((jump, departure)):
        s = np.sort(values)
        spread = _sorted_quantile(s, 0.75) - _sorted_quantile(s, 0.25)
        thresholds[r] = max(alpha * spread / 2.0, 1e-9)
    for i in range(n):
        if jump[i] > thresholds[0] and departure[i] > 3.0 * thresholds[1]:
            bad[i] = True
    return bad


@njit(cache=True, nogil=True)
def rr_statistics(beat_ts: np.ndarray, rri_ms: np.ndarray, artifact: np.ndarray) -> np.ndarray:
    """Time-domain statistics of one window's intervals, artifacts left out.

    Returns [clean intervals, their sum (ms), their mean (ms), their SD (ddof=1), successive
    differences, RMS of the differences, differences over 50 ms, SD of the differences
    (ddof=1)]. A successive difference is taken only between two clean intervals that follow
    each other directly (the second beat's timestamps step equals its interval within 50 ms).
    """
    n_clean, total = 0, 0.0
    for i in range(rri_ms.size):
        if not artifact[i]:
            n_clean += 1
            total += rri_ms[i]
    mean = total / n_clean if n_clean else np.nan
    squares = 0.0
    for i in range(rri_ms.size):
        if not artifact[i]:
            squares += (rri_ms[i] - mean) ** 2
    n_diff, diff_sum, diff_squares, over_50 = 0, 0.0, 0.0, 0
    for i in range(1, rri_ms.size):
        step_s = beat_ts[i] - beat_ts[i - 1]
        if artifact[i] or artifact[i - 1] or abs(step_s - rri_ms[i] / 1000.0) >= 0.05:
            continue
        d = rri_ms[i] - rri_ms[i - 1]
        n_diff += 1
        diff_sum += d
        diff_squares += d * d
        over_50 += abs(d) > 50.0 + PNN50_ROUNDING_MS
    diff_mean = diff_sum / n_diff if n_diff else np.nan
    diff_var = 0.0
    for i in range(1, rri_ms.size):
        step_s = beat_ts[i] - beat_ts[i - 1]
        if artifact[i] or artifact[i - 1] or abs(step_s - rri_ms[i] / 1000.0) >= 0.05:
            continue
        diff_var += (rri_ms[i] - rri_ms[i - 1] - diff_mean) ** 2
    out = np.empty(8)
    out[0], out[1], out[2] = n_clean, total, mean
    out[3] = np.sqrt(squares / (n_clean - 1)) if n_clean > 1 else np.nan
    out[4] = n_diff
    out[5] = np.sqrt(diff_squares / n_diff) if n_diff else np.nan
    out[6] = over_50
    out[7] = np.sqrt(diff_var / (n_diff - 1)) if n_diff > 1 else np.nan
    return out


@njit(cache=True, nogil=True)
def natural_cubic_spline(x: np.ndarray, y: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Values at sorted `at` (within x's range) of the natural cubic spline through (x, y),
    x strictly increasing (`scipy.interpolate.CubicSpline(x, y, bc_type="natural")`)."""
    n = x.size
    m = np.zeros(n)  # second derivatives; zero at both ends
    if n > 2:
        c_prime = np.empty(n)
        d_prime = np.empty(n)
        c_prime[0] = 0.0
        d_prime[0] = 0.0
        for i in range(1, n - 1):  # Thomas algorithm on the tridiagonal system
            h0, h1 = x[i] - x[i - 1], x[i + 1] - x[i]
            rhs = 6.0 * ((y[i + 1] - y[i]) / h1 - (y[i] - y[i - 1]) / h0)
            pivot = 2.0 * (h0 + h1) - h0 * c_prime[i - 1]
            c_prime[i] = h1 / pivot
            d_prime[i] = (rhs - h0 * d_prime[i - 1]) / pivot
        for i in range(n - 2, 0, -1):
            m[i] = d_prime[i] - c_prime[i] * m[i + 1]
    out = np.empty(at.size)
    k = 0
    for j in range(at.size):
        t = at[j]
        while k < n - 2 and t > x[k + 1]:
            k += 1
        h = x[k + 1] - x[k]
        a, b = (x[k + 1] - t) / h, (t - x[k]) / h
        out[j] = a * y[k] + b * y[k + 1] + ((a**3 - a) * m[k] + (b**3 - b) * m[k + 1]) * h * h / 6.0
    return out


@njit(cache=True, inline="always")
def _peak_near(x: np.ndarray, start: int, width: int, lo: int, hi: int) -> tuple[float, bool]:
    """Sub-sample position of the maximum of x[start : start + width] ∩ [lo, hi) (parabolic
    refinement where the peak is inside and curved), and whether that range is non-empty."""
    first = max(start, lo)
    n = min(start + width, hi) - first
    first = min(first, x.size)
    i, best = first, -np.inf
    for j in range(first, first + max(n, 0)):
        if j < x.size and x[j] > best:
            i, best = j, x[j]
    ok = n > 0
    shift = 0.0
    if ok and i - 1 >= lo and i + 1 < hi:
        y0 = x[min(max(i - 1, 0), x.size - 1)]
        y1 = x[min(i, x.size - 1)]
        y2 = x[min(i + 1, x.size - 1)]
        denom = y0 - 2.0 * y1 + y2
        if denom < 0:
            shift = 0.5 * (y0 - y2) / denom
    return i + shift, ok


@njit(cache=True, nogil=True)
def _hann_rms(x: np.ndarray, t: float, left: float, right: float, lo: int, hi: int) -> float:
    """RMS of x around sample position t under a Hann window reaching `left` samples back and
    `right` ahead (Praat's amplitude of a glottal pulse), within [lo, hi); 0 if under 3
    samples."""
    first = max(int(np.ceil(t - left)), lo, 0)
    last = min(int(np.floor(t + right)), hi - 1, x.size - 1)
    if last - first < 2 or left <= 0 or right <= 0:
        return 0.0
    sum_sq = sum_w = 0.0
    for i in range(first, last + 1):
        w = 0.5 + 0.5 * np.cos(np.pi * (i - t) / (left if i < t else right))
        sum_sq += (x[i] * w) ** 2
        sum_w += w * w
    return np.sqrt(sum_sq / sum_w)


@njit(cache=True, nogil=True)
def pulse_sums(
    x: np.ndarray,
    centres: np.ndarray,
    period: np.ndarray,
    half_support: int,
    hop_half: float,
    n_steps: int,
    fs_hz: float,
    limits: np.ndarray,
) -> np.ndarray:
    """Jitter/shimmer sums (frame × 8) of the glottal pulses of voiced frames (see
    `voice._pulse_sums`): pulses chained one period apart from an anchor 2 periods before each
    frame's hop, periods and amplitude pairs credited to the frame whose hop holds their start.

    limits: [min period s, max period s, max period factor, max amplitude factor].
    """
    min_period_s, max_period_s, max_period_factor, max_amplitude_factor = limits
    out = np.zeros((centres.size, 8))
    pos = np.empty(n_steps + 1)
    alive = np.empty(n_steps + 1, dtype=np.bool_)
    amp = np.empty(n_steps + 1)
    for f in range(centres.size):
        c, p = centres[f], period[f]
        lo, hi = c - half_support, c + half_support
        first = int(np.floor(c - hop_half - 2.0 * p))
        pos[0], alive[0] = _peak_near(x, first, int(np.ceil(p)) + 1, lo, hi)
        for k in range(n_steps):
            a = int(np.floor(pos[k] + 0.8 * p))
            b = int(np.floor(pos[k] + 1.2 * p))
            pos[k + 1], ok = _peak_near(x, a, b - a + 1, lo, hi)
            alive[k + 1] = alive[k] and ok and b < hi
        for k in range(n_steps + 1):
            left = pos[k] - pos[k - 1] if k > 0 else p
            right = pos[k + 1] - pos[k] if k < n_steps else p
            amp[k] = _hann_rms(x, pos[k], 0.2 * left, 0.2 * right, lo, hi)
        for k in range(n_steps):
            p0 = (pos[k + 1] - pos[k]) / fs_hz
            valid0 = alive[k] and alive[k + 1] and min_period_s <= p0 <= max_period_s
            mine = c - hop_half <= pos[k] < c + hop_half
            if not (mine and valid0):
                continue
            out[f, 0] += p0
            out[f, 1] += 1
            if k + 1 < n_steps:
                p1 = (pos[k + 2] - pos[k + 1]) / fs_hz
                valid1 = alive[k + 1] and alive[k + 2] and min_period_s <= p1 <= max_period_s
                ratio = max(p0, p1) / max(min(p0, p1), 1e-12)
                if valid1 and ratio <= max_period_factor:
                    out[f, 2] += abs(p1 - p0)
                    out[f, 3] += 1
            a0, a1 = amp[k], amp[k + 1]
            if a0 > 0 and a1 > 0:
                out[f, 4] += a0
                out[f, 5] += 1
                if max(a0, a1) / max(min(a0, a1), 1e-12) <= max_amplitude_factor:
                    out[f, 6] += abs(a1 - a0)
                    out[f, 7] += 1
    return out


@functools.cache
def warm_up() -> None:
    """Compile (first run after installing) or load from numba's cache every loop here, with
    the argument types the extractors pass, so that a live session's first windows do not
    stall on it. Runs once per process."""
    rng = np.random.default_rng(0)
    x = rng.normal(0.0, 1.0, 400)
    flags = np.empty(x.size, dtype=np.bool_)
    rings = tuple(np.zeros(n) for n in (9, 4, 2, 2, 3, 7, 3))
    ecg_front(x, rings, np.zeros((len(rings) + 1, 2)), np.empty(x.size), flags)
    ppg_front(x, np.zeros(8), 2, 2, np.zeros(3), flags)
    transitions(flags, False)
    most_prominent_peak(x[:50])
    peak_prominences(x[:50])
    lfilter(np.ones(3), np.array((1.0, 0.1, 0.2)), x, np.zeros(2))
    template_correlation(x[:21], np.zeros(21), 0.1)
    rri_ms = 800.0 + 40.0 * x[:30]
    beat_ts = np.cumsum(rri_ms) / 1000.0
    artifact = rr_artifact_mask(rri_ms, 5.2, 11, 250.0, 2000.0, 0.2)
    rr_statistics(beat_ts, rri_ms, artifact)
    natural_cubic_spline(beat_ts, rri_ms, np.arange(beat_ts[0], beat_ts[-1], 0.25))
    limits = np.array((0.0001, 0.02, 1.3, 1.6))
    pulse_sums(
        np.sin(np.arange(4000) / 20.0),
        np.array([2000]),
        np.array([125.0]),
        320,
        80.0,
        8,
        16000.0,
        limits,
    )
