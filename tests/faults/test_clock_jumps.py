"""A sender's clock stepping back or ahead for good: the stream is re-anchored from its rate
and goes on in order, and the other streams are unaffected."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.soak_live import counter_spec
from tests.faults.live import run_live


@pytest.mark.parametrize("step_s", [-3600.0, -2.0, 30.0], ids=["back-1h", "back-2s", "ahead-30s"])
def test_lasting_clock_step_is_reanchored(unique_name: str, step_s: float) -> None:
    specs = [counter_spec(unique_name, "ECG", 200.0), counter_spec(unique_name, "EDA", 16.0)]

    def step(kind: str, counters: np.ndarray, ts: np.ndarray, _: float) -> np.ndarray:
        return np.where(counters >= 300, ts + step_s, ts) if kind == "ECG" else ts

    run = run_live(specs, 4.0, fault=step)
    for kind, n in run.pushed.items():
        np.testing.assert_array_equal(run.counters(kind), np.arange(n), err_msg=kind)
    ts = run.timestamps("ECG")
    assert np.all(np.diff(ts) > 0)
    # the re-anchored clock keeps the sample rate across the step
    assert np.max(np.diff(ts)) < 0.2
    assert run.sources["ECG"].guard.stats.n_jumps == 1
    assert run.sources["EDA"].guard.stats.n_events == 0
    assert all(s.n_out_of_order == 0 for s in run.pipeline.windower.stats().values())
    assert all(r.features.coverage["ecg"] > 0.9 for r in run.results)
