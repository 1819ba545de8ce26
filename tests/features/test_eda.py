"""EDA features against NeuroKit2's `eda_process` on real recordings, per 60 s window."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Iterator
from pathlib import Path

import neurokit2 as nk
import numpy as np
import pytest

from emostream.features.eda import EdaExtractor, EdaParams, eda_quality
from emostream.formats import e4

from .conftest import neurokit_column, spec

WINDOW_S = 60.0
#: hop of the Stress-Predict comparison: 13,127 quality-passing windows over the 20 subjects
E4_HOP_S = 5.0
E4_SUBJECTS = tuple(f"S{i:02d}" for i in range(1, 21))


class _Span:
    def __init__(self, t_start: float, t_end: float):
        self.t_start, self.t_end = t_start, t_end


def _stream(x: np.ndarray, fs: float, hop_s: float) -> Iterator[tuple[slice, dict[str, float]]]:
    """Feed `x` window by window; yield (the window's sample range, our features) for every
    window that passes the quality check."""
    ts = np.arange(x.size) / fs
    extractor = EdaExtractor(spec("EDA", fs, "microsiemens"), EdaParams())
    fed = 0
    for t_end in np.arange(WINDOW_S, ts[-1] + 1e-9, hop_s):
        lo, hi = np.searchsorted(ts, (t_end - WINDOW_S, t_end), side="right")
        extractor.update(ts[fed:hi], x[fed:hi, None])
        fed = hi
        out = extractor.compute(_Span(t_end - WINDOW_S, t_end), "eda").values
        if "eda_scl_us" in out:
            yield slice(int(lo), int(hi)), out


def _eda_process(x: np.ndarray, fs: float):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return nk.eda_process(x, sampling_rate=fs)


def compare_with_neurokit(x: np.ndarray, fs: float, hop_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Per window: (our SCR count - NeuroKit2's, our SCL - NeuroKit2's mean tonic), with
    NeuroKit2 recomputing each window from scratch as a per-window script does."""
    count_diff, scl_diff = [], []
    for sl, out in _stream(x, fs, hop_s):
        signals, info = _eda_process(x[sl], fs)
        count_diff.append(out["eda_scr_count"] - len(info["SCR_Peaks"]))
        scl_diff.append(out["eda_scl_us"] - signals["EDA_Tonic"].mean())
    return np.asarray(count_diff), np.asarray(scl_diff)


def compare_with_whole_recording(
    x: np.ndarray, fs: float, hop_s: float
) -> tuple[np.ndarray, np.ndarray]:
    """As `compare_with_neurokit`, but NeuroKit2 runs once on the whole recording (as an
    offline analysis does) and its SCR peaks are counted per window."""
    signals, info = _eda_process(x, fs)
    tonic = signals["EDA_Tonic"].to_numpy()
    is_peak = np.zeros(x.size, dtype=int)
    is_peak[np.asarray(info["SCR_Peaks"], dtype=int)] = 1
    peaks_before = np.concatenate(([0], np.cumsum(is_peak)))
    count_diff, scl_diff = [], []
    for sl, out in _stream(x, fs, hop_s):
        count_diff.append(out["eda_scr_count"] - (peaks_before[sl.stop] - peaks_before[sl.start]))
        scl_diff.append(out["eda_scl_us"] - tonic[sl].mean())
    return np.asarray(count_diff), np.asarray(scl_diff)


@functools.cache
def e4_agreement(raw_data: Path, hop_s: float) -> dict[str, tuple[float, float, int]]:
    """Per Stress-Predict subject: (fraction of windows whose SCR count is within ±1 of
    whole-recording NeuroKit2, fraction whose SCL is within 0.05 µS, number of windows)."""
    out = {}
    for subject in E4_SUBJECTS:
        eda = e4.read(raw_data / subject).streams["eda"]
        count_diff, scl_diff = compare_with_whole_recording(
            eda.data[:, 0].astype(float), eda.spec.rate_hz, hop_s
        )
        out[subject] = (
            float(np.mean(np.abs(count_diff) <= 1)),
            float(np.mean(np.abs(scl_diff) <= 0.05)),
            count_diff.size,
        )
    count_ok, scl_ok = _pooled(out)
    print(
        f"Stress-Predict E4, hop {hop_s:g} s: {sum(k for *_, k in out.values())} windows, SCR count ±1 of whole-recording "
        f"NeuroKit2 in {count_ok:.1%}, SCL within 0.05 µS in {scl_ok:.1%}; per subject "
        + " ".join(f"{s}:{a:.2f}" for s, (a, _, _) in out.items())
    )
    return out


def _pooled(results: dict[str, tuple[float, float, int]]) -> tuple[float, float]:
    n = sum(k for *_, k in results.values())
    return (
        sum(a * k for a, _, k in results.values()) / n,
        sum(b * k for _, b, k in results.values()) / n,
    )


def _check(count_diff: np.ndarray, scl_diff: np.ndarray, name: str) -> None:
    count_ok = float(np.mean(np.abs(count_diff) <= 1))
    scl_ok = float(np.mean(np.abs(scl_diff) <= 0.05))
    print(
        f"{name}: {count_diff.size} windows, SCR count ±1 in {count_ok:.0%}, SCL within 0.05 µS in {scl_ok:.0%}"
    )
    assert count_diff.size >= 10
    assert count_ok >= 0.9, f"SCR count within ±1 of NeuroKit2 in only {count_ok:.0%} of windows"
    assert scl_ok >= 0.9, f"SCL within 0.05 µS of NeuroKit2 in only {scl_ok:.0%} of windows"


def test_eda_matches_neurokit_on_lab_recording(shared_data):
    x = neurokit_column(shared_data, "bio_eventrelated_100hz.csv", "EDA")
    _check(*compare_with_neurokit(x, 100.0, hop_s=5.0), "bio_eventrelated_100hz")


@pytest.mark.xfail(
    strict=True,
    reason="measured: SCR count within ±1 of whole-recording NeuroKit2 in 84.0% of 60 s windows "
    "(hop 5 s, all 20 Stress-Predict E4 subjects). NeuroKit2's relative threshold is 10% of the "
    "session's largest SCR, which lies in the session's future; NeuroKit2 itself, run "
    "causally on the data so far, reaches only 85%",
)
def test_eda_scr_count_matches_whole_recording_neurokit_on_e4(shared_data):
    count_ok, _ = _pooled(e4_agreement(shared_data / "stress_predict" / "Raw_data", E4_HOP_S))
    assert count_ok >= 0.9, f"SCR count within ±1 of NeuroKit2 in only {count_ok:.1%} of windows"


def test_eda_agreement_with_whole_recording_neurokit_on_e4_does_not_regress(shared_data):
    results = e4_agreement(shared_data / "stress_predict" / "Raw_data", E4_HOP_S)
    count_ok, scl_ok = _pooled(results)
    # measured at E4_HOP_S = 5 s: SCR count ±1 in 84.0% (per subject 0.61-0.98), SCL within
    # 0.05 µS in 99.9%; the former window-relative criterion gave 31.6%
    assert count_ok >= 0.80, f"SCR count within ±1 of NeuroKit2 in only {count_ok:.1%}"
    assert scl_ok >= 0.90, f"SCL within 0.05 µS of NeuroKit2 in only {scl_ok:.1%}"


def test_quality_flags_flat_off_skin_and_jumps():
    ts = np.arange(240) / 4.0
    assert eda_quality(ts, np.full(240, 3.0)) == (0.0, "flat")
    assert eda_quality(ts, np.zeros(240))[0] == 0.0
    good = 3.0 + 0.05 * np.sin(ts)
    assert eda_quality(ts, good)[0] == 1.0
    jumpy = good.copy()
    jumpy[::10] += 8.0
    assert eda_quality(ts, jumpy)[0] < 0.9


def test_quiet_window_is_judged_against_the_running_scr_reference():
    fs = 4.0
    ts = np.arange(int(240 * fs)) / fs
    x = 2.0 + 0.02 * np.sin(2 * np.pi * 0.2 * ts)  # 0.04 µS ripple, 12 crests a minute
    rise = np.clip(ts - 30.0, 0.0, None) / 2.0
    x += rise * np.exp(1.0 - rise)  # a 1 µS SCR at 30-32 s

    def counts(params: EdaParams, windows: list[tuple[float, float]]) -> list[float]:
        extractor = EdaExtractor(spec("EDA", fs, "microsiemens"), params)
        extractor.update(ts, x[:, None])
        return [extractor.compute(_Span(*w), "eda").values["eda_scr_count"] for w in windows]

    quiet, scr = (180.0, 240.0), (0.0, 60.0)
    assert counts(EdaParams(), [quiet]) == [0]  # the look-back holds the SCR
    alone = EdaParams(scr_reference_s=0.0)
    assert counts(alone, [quiet])[0] >= 10  # judged on its own, the ripple counts
    assert counts(alone, [scr, quiet])[1] == 0  # the running reference remembers the SCR
    with pytest.raises(ValueError):
        EdaParams(scr_reference_s=601.0)


def test_quality_flags_clipping():
    ts = np.arange(240) / 4.0
    varying = 3.0 + 0.5 * np.sin(ts / 3.0)
    assert eda_quality(ts, varying) == (1.0, "jumps")  # nothing failed
    clipped = varying.copy()
    clipped[100:140] = 3.6  # held at the converter's rail for 10 s
    quality, why = eda_quality(ts, clipped)
    assert why == "clipped"
    assert quality == pytest.approx(1.0 - 40 / 240)
    brief = varying.copy()
    brief[100:104] = brief[100:104].max()  # a 1 s plateau at the top is not clipping
    assert eda_quality(ts, brief)[0] == 1.0
