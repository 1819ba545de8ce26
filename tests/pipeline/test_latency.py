"""The in-run window latency: kept for the latest windows, measured only for live chunks."""

import numpy as np
import pytest

from emostream.core.chunk import Chunk
from emostream.core.clock import lsl_now_s
from emostream.core.spec import StreamSpec
from emostream.features.eda import EdaParams
from emostream.pipeline.latency import WindowLatency
from emostream.pipeline.wearer import WearerPipeline
from emostream.windowing import WindowConfig


def test_only_the_latest_windows_are_kept():
    latency = WindowLatency(kept=100)
    assert latency.percentiles_ms() is None
    for value_s in [10.0] * 500 + list(np.linspace(0.001, 0.100, 100)):
        latency.add(value_s)
    assert latency.n == 600 and latency.n_kept == 100
    p50, p99 = latency.percentiles_ms()
    assert p50 == pytest.approx(50.5) and p99 == pytest.approx(99.01)


@pytest.mark.parametrize("live", [True, False])
def test_a_window_closed_by_a_live_chunk_is_timed_from_its_arrival(live):
    spec = StreamSpec("EDA", "eda", ("EDA",), ("uS",), 4.0, "t:eda")
    pipeline = WearerPipeline(WindowConfig(length_s=10.0, hop_s=5.0), [spec], {"eda": EdaParams()})
    t = 100.0 + np.arange(200) / 4.0
    values = 2.0 + 0.01 * np.sin(t)[:, None]
    waited_s = 0.25
    before = lsl_now_s()
    arrival = np.full(t.shape, before - waited_s) if live else None
    results = pipeline.push(Chunk(spec, t, values, arrival))
    assert results
    if not live:
        assert pipeline.latency.n == 0
        return
    assert len(results) > 1 and pipeline.latency.n == len(results)  # timed together
    (p50,) = pipeline.latency.percentiles_ms((50.0,))
    assert waited_s * 1e3 <= p50 <= (lsl_now_s() - before + waited_s) * 1e3
