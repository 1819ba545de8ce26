"""The queue of windows waiting for a label: bounded, ordered, exact, and of fixed size."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from emostream.labels import LabelSpan, span_covers
from emostream.models.pending import PendingQueue, PendingWindow, spans_cover

NAMES = ("hr_z", "eda_scl_z", "temp_z")
EXPERTS = ({"calm": 0.25, "stress": 0.75}, {"calm": 0.625, "stress": 0.375})


def window(t_end: float, *, names=NAMES, state="calm", experts=EXPERTS) -> PendingWindow:
    x = {name: t_end + k / 8 for k, name in enumerate(names)}
    return PendingWindow(t_end - 60.0, t_end, x, state, experts)


def summary(queue: PendingQueue) -> list[tuple]:
    return [(w.t_start, w.t_end, w.state, w.x, w.experts) for w in queue]


def test_windows_come_back_exactly_in_their_order():
    queue = PendingQueue(10)
    given = [
        window(60.0),
        window(61.0, state="stress", experts=()),
        window(62.0, names=("temp_z", "hr_z")),  # another order, fewer inputs
        window(63.0, names=(*NAMES, "hr_change_z")),  # an input that appears later
        window(64.0, experts=({"calm": 0.1, "stress": 0.9},)),
    ]
    for w in given:
        assert not queue.append(w)
    assert summary(queue) == [(w.t_start, w.t_end, w.state, w.x, w.experts) for w in given]
    assert [list(w.x) for w in queue] == [list(w.x) for w in given]
    assert queue[-1].t_end == 64.0 and queue[0].t_end == 60.0
    with pytest.raises(IndexError):
        queue[5]


def test_a_full_queue_drops_its_oldest():
    queue = PendingQueue(3)
    dropped = [queue.append(window(60.0 + k)) for k in range(5)]
    assert dropped == [False, False, False, True, True]
    assert [w.t_end for w in queue] == [62.0, 63.0, 64.0]


def test_a_span_takes_the_windows_it_covers_and_the_rest_keep_their_order():
    queue = PendingQueue(8)
    for k in range(12):  # wrapped around the ring
        queue.append(window(60.0 + 10 * k, state=f"s{k}"))
    span = LabelSpan(80.0, 150.0, "stress", "phase:stress")
    taken = queue.take_covered(span, 1.0)
    assert [w.t_end for w in taken] == [140.0, 150.0]
    assert [w.state for w in taken] == ["s8", "s9"]
    assert [w.t_end for w in queue] == [100.0, 110.0, 120.0, 130.0, 160.0, 170.0]
    assert queue.take_covered(span, 1.0) == []
    queue.append(window(180.0))
    assert [w.t_end for w in queue][-2:] == [170.0, 180.0]


def test_spans_cover_decides_as_span_covers():
    rng = np.random.default_rng(3)
    t_start = rng.uniform(0, 100, 500).round(1)
    t_end = t_start + rng.choice([0.0, 1.0, 30.0, 60.0], 500)
    span = LabelSpan(20.0, 80.0, "calm", "report")
    for min_overlap in (1.0, 0.5, 0.01):
        expected = [
            span_covers(span, a, b, min_overlap) for a, b in zip(t_start, t_end, strict=True)
        ]
        assert spans_cover(span, t_start, t_end, min_overlap).tolist() == expected


def test_its_memory_is_reserved_with_the_first_window():
    queue = PendingQueue(1000)
    assert queue.nbytes == 0
    queue.append(window(60.0))
    reserved = queue.nbytes
    assert reserved >= 1000 * len(NAMES) * 8
    for k in range(2500):
        queue.append(window(61.0 + k))
    queue.take_covered(LabelSpan(0.0, 2000.0, "calm", "report"), 1.0)
    assert queue.nbytes == reserved


def test_it_pickles():
    queue = PendingQueue(5)
    for k in range(7):
        queue.append(window(60.0 + k, state="stress" if k % 2 else "calm"))
    copy = pickle.loads(pickle.dumps(queue))
    assert copy.capacity == 5 and summary(copy) == summary(queue)
