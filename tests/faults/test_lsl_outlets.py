"""LSL outlets dying and coming back under load: each outage is one Gap, the other streams never
notice, and what is lost is only what the returning outlet sends before liblsl has subscribed
to it again (it keeps nothing for an inlet that is not yet connected)."""

from __future__ import annotations

import numpy as np

from benchmarks.soak_live import counter_spec
from tests.faults.live import run_live

RESUBSCRIBE_S = 3.0


def test_outlets_die_and_return_under_load(unique_name: str) -> None:
    specs = [
        counter_spec(unique_name, "ECG", 500.0),
        counter_spec(unique_name, "EEG", 256.0, n_signal=4),
        counter_spec(unique_name, "EDA", 32.0),
    ]
    # liblsl may take up to RESUBSCRIBE_S to subscribe again to a returning outlet (the hole
    # bound below), so an outage starts and the run ends at least that long after an outlet
    # returns: sooner, and two outages with no sample between them are rightly one gap
    outages = {"ECG": [(1.0, 2.0), (5.0, 5.8)], "EEG": [(1.5, 2.5)]}

    def present(kind: str, t_s: float) -> bool:
        return not any(a <= t_s < b for a, b in outages.get(kind, []))

    last_return_s = max(b for spans in outages.values() for _, b in spans)
    run = run_live(specs, last_return_s + RESUBSCRIBE_S, presence=present)
    for spec in specs:
        kind = spec.kind
        counters = run.counters(kind)
        assert counters[0] == 0 and counters[-1] == run.pushed[kind] - 1, kind
        steps = np.diff(counters)
        assert np.all(steps >= 1), f"{kind}: duplicated or reordered samples"
        holes = steps[steps > 1] - 1
        # samples due while an outlet was gone were never produced; a hole can only be the
        # re-subscription after an outage (liblsl took 0.8-1.7 s in benchmarks/soak_live.py)
        assert len(holes) <= len(outages.get(kind, [])), kind
        assert np.all(holes <= RESUBSCRIBE_S * spec.rate_hz), (kind, holes / spec.rate_hz)
        assert np.all(np.diff(run.timestamps(kind)) > 0), kind
    gaps = {kind: [g for g in run.collected.gaps if g.source_id == s.source_id]
            for kind, s in ((s.kind, s) for s in specs)}  # fmt: skip
    assert len(gaps["ECG"]) == 2 and len(gaps["EEG"]) == 1 and not gaps["EDA"]
    ts = run.timestamps("ECG")
    for (a, b), gap in zip(outages["ECG"], gaps["ECG"], strict=True):
        # the gap runs exactly from the last sample before the outage to the first after it
        i = int(np.searchsorted(ts, gap.t_from_s))
        assert ts[i] == gap.t_from_s and ts[i + 1] == gap.t_to_s
        assert gap.t_to_s - gap.t_from_s >= b - a - 0.1
    stats = run.pipeline.windower.stats()
    assert all(s.n_out_of_order == 0 for s in stats.values())
    assert all(r.features.coverage["eda"] > 0.95 for r in run.results)


def test_an_outage_that_no_empty_poll_reports_is_still_one_gap(unique_name: str) -> None:
    # the readers hand on no empty result for 30 s, as a poller starved on a loaded machine
    # may not: the silence is seen only when the data returns, after it
    spec = counter_spec(unique_name, "ECG", 500.0)
    run = run_live([spec], 5.0, presence=lambda _, t_s: not 1.0 <= t_s < 2.0, silent_tick_s=30.0)
    counters = run.counters("ECG")
    assert counters[-1] == run.pushed["ECG"] - 1
    gaps = [g for g in run.collected.gaps if g.source_id == spec.source_id]
    assert len(gaps) == 1 and gaps[0].t_to_s - gaps[0].t_from_s >= 0.9
