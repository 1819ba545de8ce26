"""HR from E4 BVP against the device's own HR.csv, on every Stress-Predict subject."""

from __future__ import annotations

import numpy as np

from emostream.features.beats import detector_for
from emostream.features.hrv import HrvParams, hrv_features
from emostream.formats import e4

WINDOW_S, HOP_S = 60.0, 30.0


def subject_differences(folder) -> tuple[np.ndarray, int]:
    """(our HR - mean HR.csv) over quality-passing windows, and the number of windows."""
    rec = e4.read(folder)
    bvp, device = rec.streams["ppg"], rec.streams["hr"]
    beats, corr = detector_for("PPG", bvp.spec.rate_hz).update(bvp.timestamps, bvp.data[:, 0])
    rri = np.diff(beats, prepend=np.nan) * 1000.0
    params = HrvParams()
    diffs, n_windows = [], 0
    for t_end in np.arange(device.timestamps[0] + WINDOW_S, device.timestamps[-1], HOP_S):
        n_windows += 1
        out = hrv_features(beats, rri, corr, t_end - WINDOW_S, t_end, params, "ppg")
        if "hr_bpm" in out.values:
            inside = (device.timestamps > t_end - WINDOW_S) & (device.timestamps <= t_end)
            diffs.append(out.values["hr_bpm"] - device.data[inside, 0].mean())
    return np.asarray(diffs), n_windows


def test_bvp_heart_rate_agrees_with_device(shared_data):
    root = shared_data / "stress_predict" / "Raw_data"
    subjects = sorted(p for p in root.iterdir() if p.is_dir() and e4.detect(p))
    assert len(subjects) >= 10
    all_diffs, total = [], 0
    for folder in subjects:
        diffs, n = subject_differences(folder)
        all_diffs.append(diffs)
        total += n
    diffs = np.concatenate(all_diffs)
    pass_fraction = diffs.size / total
    median_abs = float(np.median(np.abs(diffs)))
    print(
        f"E4 HR: {pass_fraction:.1%} of {total} windows pass quality; median |diff| {median_abs:.2f} bpm"
    )
    assert pass_fraction > 0.2
    assert median_abs <= 3.0
