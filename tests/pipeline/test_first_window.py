"""A wearer's first window: its samples reach the extractors a hop at a time as they arrive,
not all at once when it closes, so it costs what a later window costs; and every window's
features are those of the same data handed over whole."""

import asyncio

import numpy as np
import pytest

from emostream.features.acc import AccParams
from emostream.features.eda import EdaParams
from emostream.features.hrv import HrvParams
from emostream.pipeline.wearer import WearerPipeline
from emostream.sources.synthetic import SyntheticWearerSource
from emostream.windowing import WindowConfig

# a stream lagging by up to 200 s holds windows back: data handed over whole stream by
# stream closes no window before every stream is in
WINDOW = WindowConfig(length_s=60.0, hop_s=1.0, max_lag_s=200.0)
FEATURES = {"hrv": HrvParams(), "eda": EdaParams(), "acc": AccParams()}
DURATION_S = 90.0


def _run(chunk_s: float) -> tuple[list[dict[str, float]], list[dict]]:
    """Feature rows of one synthetic wearer fed in chunks of `chunk_s`, and the lead-ins."""
    source = SyntheticWearerSource(
        seed=3, duration_s=DURATION_S, kinds=("ECG", "EDA", "ACC"), chunk_s=chunk_s
    )
    pipeline = WearerPipeline(WINDOW, source.specs, FEATURES)
    lead_ins: list[dict] = []
    feed = pipeline.engine.feed

    def recorded_feed(fresh: dict) -> None:
        lead_ins.append(fresh)
        feed(fresh)

    pipeline.engine.feed = recorded_feed  # type: ignore[method-assign]
    rows: list[dict[str, float]] = []

    async def run() -> None:
        async for event in source.events():
            rows.extend(r.features.row() for r in pipeline.push(event))

    asyncio.run(run())
    rows.extend(r.features.row() for r in pipeline.finish())
    return rows, lead_ins


def test_the_first_windows_samples_are_fed_ahead_and_the_features_do_not_change():
    live, lead_ins = _run(chunk_s=0.1)
    whole, none = _run(chunk_s=DURATION_S)
    assert not any(none)  # handed over whole: the first window brings them all
    first_end = live[0]["t_end"]
    ecg = np.concatenate([part["ecg"][0] for part in lead_ins if "ecg" in part])
    assert ecg[-1] == pytest.approx(first_end - WINDOW.hop_s)  # up to its last hop
    assert len(lead_ins) > 50  # about one a hop
    assert len(live) == len(whole) > 20
    for a, b in zip(live, whole, strict=True):
        assert a.keys() == b.keys()
        assert a == pytest.approx(b, rel=1e-9, abs=1e-12), a["t_end"]
