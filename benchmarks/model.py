"""Cost of the online model per window: learn + predict, and per-window latency (p50, p99).

Both run in the same process on the same stream of feature windows (12 features, 5 s hop,
phases of 300 s labelled by start/end markers):

- default: `OnlineStateModel` with the default `[model]` config (per-subject baseline,
  late-label queue, class rehearsal, active learning, ADWIN drift), via `step()`;
- baseline: a bare river `StandardScaler | LogisticRegression` that predicts and then learns
  each window at once (`predict_proba_one` + `learn_one`, labels known immediately).

The ratio is default / baseline total cost. A window's latency is the time `step()` (or the
baseline's predict + learn) takes for it; windows that close a labelled segment carry the
learning burst of the whole segment, which is what p99 shows.

    .venv/bin/python benchmarks/model.py --windows 20000
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from river import compose, linear_model, preprocessing

from emostream.features.base import FeatureVector
from emostream.labels import LabelConfig
from emostream.models.config import ModelConfig
from emostream.models.online import OnlineStateModel

FEATURES = (
    "hr_bpm", "hrv_rmssd_ms", "hrv_sdnn_ms", "hrv_pnn50_pct", "hrv_sd1_ms", "hrv_sd2_ms",
    "eda_scl_us", "eda_scl_slope_us_per_min", "eda_scr_count", "eda_scr_amp_us",
    "temp_c", "temp_slope_c_per_min",
)  # fmt: skip
PHASE_S = 300.0
HOP_S = 5.0
LENGTH_S = 60.0


def make_windows(n: int, seed: int = 0) -> tuple[list[FeatureVector], list[str]]:
    """`n` windows alternating calm/stress phases, with phase markers and true labels."""
    rng = np.random.default_rng(seed)
    shift = rng.normal(0, 1, len(FEATURES))
    windows, truth = [], []
    for i in range(n):
        t_end = LENGTH_S + i * HOP_S
        k = int(t_end // PHASE_S)
        phase = "stress" if k % 2 else "calm"
        values = rng.normal(0, 1, len(FEATURES)) + (shift if phase == "stress" else 0.0)
        markers = [(0.0, "phase:calm:start")] if i == 0 else []
        if (t_end - HOP_S) // PHASE_S != k:
            before = "calm" if phase == "stress" else "stress"
            markers = [(k * PHASE_S, f"phase:{before}:end"), (k * PHASE_S, f"phase:{phase}:start")]
        windows.append(
            FeatureVector(
                t_end - LENGTH_S, t_end, dict(zip(FEATURES, values, strict=True)), markers=markers
            )
        )
        truth.append(phase)
    return windows, truth


def run_default(windows: list[FeatureVector]) -> np.ndarray:
    model = OnlineStateModel(ModelConfig(labels=LabelConfig()), config_hash="bench")
    latency = np.empty(len(windows))
    for i, fv in enumerate(windows):
        t0 = time.perf_counter()
        model.step(fv)
        latency[i] = time.perf_counter() - t0
    return latency


def run_baseline(windows: list[FeatureVector], truth: list[str]) -> np.ndarray:
    model = compose.Pipeline(preprocessing.StandardScaler(), linear_model.LogisticRegression())
    latency = np.empty(len(windows))
    for i, (fv, label) in enumerate(zip(windows, truth, strict=True)):
        t0 = time.perf_counter()
        model.predict_proba_one(fv.values)
        model.learn_one(fv.values, label == "stress")
        latency[i] = time.perf_counter() - t0
    return latency


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--windows", type=int, default=20000)
    args = parser.parse_args()
    windows, truth = make_windows(args.windows)
    run_default(windows[:500])  # warm-up (imports, allocations)
    run_baseline(windows[:500], truth[:500])
    default = run_default(windows)
    baseline = run_baseline(windows, truth)
    print(f"{args.windows} windows, {len(FEATURES)} features, {HOP_S:g} s hop")
    print(f"{'model':<52}{'µs/window':>10}{'p50 µs':>10}{'p99 µs':>10}")
    for name, lat in (
        ("default (OnlineStateModel.step)", default),
        ("baseline (river StandardScaler|LogisticRegression)", baseline),
    ):
        print(
            f"{name:<52}{lat.mean() * 1e6:>10.1f}{np.percentile(lat, 50) * 1e6:>10.1f}"
            f"{np.percentile(lat, 99) * 1e6:>10.1f}"
        )
    print(f"ratio default/baseline cost per window: {default.sum() / baseline.sum():.2f}")
    print(
        f"windows per second (default): {len(windows) / default.sum():.0f}; "
        f"real-time factor at {HOP_S:g} s hop: {len(windows) * HOP_S / default.sum():.0f}x"
    )


if __name__ == "__main__":
    main()
