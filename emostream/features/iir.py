"""Digital Butterworth design and the initial-state helpers of streaming IIR filters, in NumPy.

These are the textbook algorithms `scipy.signal` uses (`butter`, `zpk2sos`, `sos2tf`,
`lfilter_zi`, `sosfilt_zi`). The extractors need only these few, at start-up, and importing
`scipy.signal` costs most of a second, which a short `emostream process` run would pay in full.
tests/features/test_iir.py checks each against SciPy on every design the extractors use.

Design: the analog Butterworth prototype, moved to the pre-warped cut-off(s) (low-, high- or
band-pass), then the bilinear transform (sampling rate 2, cut-offs as fractions of Nyquist).
"""

from __future__ import annotations

import numpy as np

#: a pole whose imaginary part is below this fraction of its magnitude is real
REAL_POLE_TOL = 1e-10


def butter_zpk(order: int, wn: np.ndarray, btype: str) -> tuple[np.ndarray, np.ndarray, float]:
    """Zeros, poles and gain of a digital Butterworth filter; `wn` (one cut-off, or two for
    "bandpass") as fractions of Nyquist, each in (0, 1)."""
    m = np.arange(-order + 1, order, 2)
    p = -np.exp(1j * np.pi * m / (2 * order))  # analog prototype: cut-off 1 rad/s, no zeros
    z = np.zeros(0, dtype=complex)
    k = 1.0
    warped = 4.0 * np.tan(np.pi * np.asarray(wn, dtype=float) / 2.0)
    degree = p.size  # poles minus zeros
    if btype == "lowpass":
        z, p, k = z * warped[0], p * warped[0], k * warped[0] ** degree
    elif btype == "highpass":
        k *= float(np.real(np.prod(-z) / np.prod(-p)))
        z = np.append(warped[0] / z, np.zeros(degree))
        p = warped[0] / p
    elif btype == "bandpass":
        centre = np.sqrt(warped[0] * warped[1])
        width = warped[1] - warped[0]
        half = p * width / 2.0
        root = np.sqrt(half**2 - centre**2)
        p = np.concatenate((half + root, half - root))
        z = np.zeros(degree, dtype=complex)
        k *= width**degree
    else:
        raise ValueError(f"unknown filter type {btype!r}")
    # bilinear transform at sampling rate 2 (zeros at infinity go to -1)
    degree = p.size - z.size
    k *= float(np.real(np.prod(4.0 - z) / np.prod(4.0 - p)))
    z = np.append((4.0 + z) / (4.0 - z), -np.ones(degree))
    p = (4.0 + p) / (4.0 - p)
    return z, p, k


def zpk_to_sos(z: np.ndarray, p: np.ndarray, k: float) -> np.ndarray:
    """Second-order sections (rows b0 b1 b2 1 a1 a2) of a filter with real zeros: each complex
    pole pair (or two real poles) with the two zeros nearest to it; the sections whose poles lie
    nearest the unit circle come last, the gain goes in the first."""
    if np.any(np.abs(z.imag) > REAL_POLE_TOL):
        raise ValueError("zeros must be real")
    real = np.abs(p.imag) <= REAL_POLE_TOL * np.abs(p)
    upper = p[~real & (p.imag > 0)]
    if 2 * upper.size + np.count_nonzero(real) != p.size or z.size != p.size:
        raise ValueError("poles must come in conjugate pairs, as many as the zeros")
    reals = np.sort(p[real].real)
    groups = [np.array([c, c.conjugate()]) for c in upper]
    groups += [reals[i : i + 2].astype(complex) for i in range(0, reals.size, 2)]
    groups.sort(key=lambda g: 1.0 - np.abs(g).max())  # nearest the unit circle first
    zeros = list(z.real)
    sections = []
    for poles in groups:
        chosen = []
        for _ in poles:
            i = int(np.argmin([abs(zero - poles[0]) for zero in zeros]))
            chosen.append(zeros.pop(i))
        b = np.real(np.poly(chosen))
        a = np.real(np.poly(poles))
        sections.append(np.concatenate((np.pad(b, (0, 3 - b.size)), np.pad(a, (0, 3 - a.size)))))
    sos = np.array(sections[::-1])
    sos[0, :3] *= k
    return sos


def butter_sos(order: int, wn: np.ndarray, btype: str) -> np.ndarray:
    """Second-order sections of a digital Butterworth filter (as `scipy.signal.butter(order,
    wn, btype, output="sos")`)."""
    return zpk_to_sos(*butter_zpk(order, wn, btype))


def sos_to_tf(sos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The transfer function (b, a) of cascaded sections."""
    b, a = np.ones(1), np.ones(1)
    for section in sos:
        b, a = np.convolve(b, section[:3]), np.convolve(a, section[3:])
    return b, a


def lfilter_zi(b: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Direct-form II transposed state for which a constant input of 1 gives a constant output
    (the step response's steady state); `a[0]` must be 1."""
    n = max(a.size, b.size)
    a = np.pad(a, (0, n - a.size))
    b = np.pad(b, (0, n - b.size))
    companion = np.zeros((n - 1, n - 1))
    companion[0] = -a[1:]
    companion[np.arange(1, n - 1), np.arange(n - 2)] = 1.0
    return np.linalg.solve(np.eye(n - 1) - companion.T, b[1:] - a[1:] * b[0])


def sosfilt_zi(sos: np.ndarray) -> np.ndarray:
    """Per-section states (sections, 2) for a steady output from a constant input of 1."""
    zi = np.empty((sos.shape[0], 2))
    scale = 1.0
    for s, section in enumerate(sos):
        b, a = section[:3], section[3:]
        zi[s] = scale * lfilter_zi(b, a)
        scale *= b.sum() / a.sum()
    return zi
