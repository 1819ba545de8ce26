"""EDA features against NeuroKit2's `eda_process` on real recordings, per 60 s window."""

from __future__ import annotations

import warnings

import neurokit2 as nk
import numpy as np
import pytest

from emostream.features.eda import EdaExtractor, EdaParams, eda_quality
from emostream.formats import e4

from .conftest import neurokit_column, spec

WINDOW_S = 60.0


class _Span:
    def __init__(self, t_start: float, t_end: float):
        self.t_start, self.t_end = t_start, t_end


def compare_with_neurokit(x: np.ndarray, fs: float, hop_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Per window: (our SCR count - NeuroKit2's, our SCL - NeuroKit2's mean tonic), with
    NeuroKit2 recomputing each window from scratch as a per-window script does."""
    ts = np.arange(x.size) / fs
    extractor = EdaExtractor(spec("EDA", fs, "microsiemens"), EdaParams())
    count_diff, scl_diff, fed = [], [], 0
    for t_end in np.arange(WINDOW_S, ts[-1] + 1e-9, hop_s):
        hi = int(np.searchsorted(ts, t_end, side="right"))
        extractor.update(ts[fed:hi], x[fed:hi, None])
        fed = hi
        out = extractor.compute(_Span(t_end - WINDOW_S, t_end), "eda").values
        if "eda_scl_us" not in out:
            continue
        inside = (ts > t_end - WINDOW_S) & (ts <= t_end)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            signals, info = nk.eda_process(x[inside], sampling_rate=fs)
        count_diff.append(out["eda_scr_count"] - len(info["SCR_Peaks"]))
        scl_diff.append(out["eda_scl_us"] - signals["EDA_Tonic"].mean())
    return np.asarray(count_diff), np.asarray(scl_diff)


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
    reason="E4 EDA at 4 Hz: NeuroKit2 skips its low-pass at <= 6 Hz and per window counts "
    "quantisation ripples as SCRs (11-25 per minute); our counts honour the 0.01 µS minimum",
)
def test_eda_matches_neurokit_on_e4(shared_data):
    for subject in ("S01", "S05", "S10"):
        rec = e4.read(shared_data / "stress_predict" / "Raw_data" / subject)
        _check(*compare_with_neurokit(rec.streams["eda"].data[:, 0], 4.0, hop_s=60.0), subject)


def test_quality_flags_flat_off_skin_and_jumps():
    ts = np.arange(240) / 4.0
    assert eda_quality(ts, np.full(240, 3.0)) == (0.0, "flat")
    assert eda_quality(ts, np.zeros(240))[0] == 0.0
    good = 3.0 + 0.05 * np.sin(ts)
    assert eda_quality(ts, good)[0] == 1.0
    jumpy = good.copy()
    jumpy[::10] += 8.0
    assert eda_quality(ts, jumpy)[0] < 0.9
