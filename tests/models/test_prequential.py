"""The prequential balanced accuracy equals river's `metrics.BalancedAccuracy`."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from river import metrics

from emostream.models.prequential import BalancedAccuracy
from emostream.models.state import FloatPool, dump_state, restore_state

labels = st.sampled_from(["baseline", "stress", "amusement"])


@given(st.lists(st.tuples(labels, labels, st.sampled_from([1.0, 0.5, 2.0])), max_size=60))
@settings(max_examples=300, deadline=None)
def test_balanced_accuracy_is_rivers(updates):
    mine, rivers = BalancedAccuracy(), metrics.BalancedAccuracy()
    for y_true, y_pred, w in updates:
        mine.update(y_true, y_pred, w)
        rivers.update(y_true, y_pred, w)
        assert mine.get() == pytest.approx(rivers.get(), abs=1e-12)
    assert mine.total_weight == pytest.approx(rivers.cm.total_weight)
    assert mine.n_samples == rivers.cm.n_samples


def test_state_round_trips_under_rivers_name():
    metric = BalancedAccuracy()
    for y_true, y_pred in [("stress", "stress"), ("stress", "baseline"), ("baseline", "baseline")]:
        metric.update(y_true, y_pred)
    pool = FloatPool()
    node = dump_state(metric, pool)
    assert node["type"] == "river.BalancedAccuracy"  # as in files written with river's metric
    restored = BalancedAccuracy()
    restore_state(restored, node, FloatPool(pool.array()))
    assert restored.counts == metric.counts and restored.n_samples == 3
    assert restored.get() == pytest.approx(0.75)
