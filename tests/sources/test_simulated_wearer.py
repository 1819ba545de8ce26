"""`--simulate` devices send the synthetic wearer's physiology, not counters: the strap's RR
and HR are the wearer's beats, the H10's ECG is the wearer's ECG."""

from __future__ import annotations

import numpy as np

from emostream.core.chunk import Chunk
from emostream.core.events import LinkState
from emostream.profiles import load_profile
from emostream.sources.factory import make_source
from emostream.testing.simulate import simulated
from emostream.testing.wearer import WearerSignals
from tests.sources.ble.harness import run

SPEED = 8.0


async def _collect(profile_name: str, kinds: set[str], n_rows: int) -> dict[str, np.ndarray]:
    """Rows of each of `kinds` from the real driver reading the simulated device."""
    rows: dict[str, list[np.ndarray]] = {k: [] for k in kinds}
    profile = load_profile(profile_name)
    async with simulated(profile, speed=SPEED, seed=1) as where:
        source = make_source(profile, where)
        try:
            async for event in source.events():
                if isinstance(event, Chunk) and event.spec.kind in kinds:
                    rows[event.spec.kind].append(np.asarray(event.data, dtype=float))
                if all(sum(len(r) for r in rows[k]) >= n_rows for k in kinds):
                    break
        finally:
            await source.aclose()
    return {k: np.concatenate(v) for k, v in rows.items()}


def _contiguous_in(got: np.ndarray, expected: np.ndarray, tol: float) -> bool:
    return any(
        np.allclose(got, expected[i : i + got.size], atol=tol)
        for i in range(expected.size - got.size + 1)
    )


def test_simulated_strap_sends_the_synthetic_wearers_beats():
    got = run(_collect("hr-strap", {"RR", "HR"}, 12), 60)
    wearer_rr_ms = np.round(WearerSignals(1).rr_s[:200] * 1024) / 1024 * 1000
    rr_ms = got["RR"][:, 0]
    assert _contiguous_in(rr_ms, wearer_rr_ms, tol=1e-3)
    assert np.unique(np.round(rr_ms)).size > 5  # a living heart, not a fixed cycle
    hr_bpm = got["HR"][:, 0]
    assert np.all(np.abs(hr_bpm[: rr_ms.size] - 60000.0 / rr_ms[: hr_bpm.size]) <= 1.0)


def test_simulated_h10_sends_the_synthetic_wearers_ecg():
    got = run(_collect("polar-h10", {"ECG"}, 520), 60)
    ecg_uv = got["ECG"][:, 0]
    wearer_uv = np.round(WearerSignals(1).samples("ECG", 130.0, 0, 4000)[:, 0] * 1000.0)
    assert _contiguous_in(ecg_uv[:520], wearer_uv, tol=0.5)
    assert ecg_uv.max() - ecg_uv.min() > 500  # QRS complexes of about a millivolt


def test_link_status_arrives_as_events():
    """A device's link state and battery reach consumers as LinkState events, like gaps."""

    async def first_link_states() -> tuple[list[LinkState], str]:
        profile = load_profile("hr-strap")
        states: list[LinkState] = []
        async with simulated(profile, speed=SPEED) as where:
            source = make_source(profile, where)
            try:
                async for event in source.events():
                    if isinstance(event, LinkState):
                        states.append(event)
                    if any(s.battery_pct is not None for s in states):
                        break
            finally:
                await source.aclose()
        return states, source.specs[0].source_id

    states, device_id = run(first_link_states(), 60)
    assert states[0].state == "streaming" and states[-1].battery_pct == 85
    assert {s.source_id for s in states} == {device_id}
