"""Feature windows held as matrices: each read gives back the window it was made from."""

from __future__ import annotations

import gc
import pickle
import tracemalloc

import numpy as np
import pytest

from emostream.datasets.window_table import WindowTable
from emostream.features.base import FeatureVector


def _windows() -> list[FeatureVector]:
    return [
        FeatureVector(
            0.0,
            60.0,
            values={"hr_bpm": 71.25, "eda_scl_us": 0.1 + 0.2},
            quality={"ppg": 0.5},
            coverage={"ppg": 1.0, "eda": 0.75},
            flags={"ppg": ("gap", "clipped")},
            reasons={"hrv": "quality_ppg 0.31 < 0.50"},
            markers=[(12.5, "phase:baseline:start"), (30.0, "report:60s:state=calm")],
            staleness={"ppg": 0.015625},
        ),
        # a feature absent from one window and present in the next, none in between
        FeatureVector(1.0, 61.0, values={"temp_c": 33.0}),
        FeatureVector(2.0, 62.0),
        FeatureVector(3.0, 63.0, values={"eda_scl_us": -0.0, "hr_bpm": 1e-300}),
    ]


def test_every_window_reads_back_as_it_was_made():
    windows = _windows()
    table = WindowTable.from_vectors(windows)
    assert len(table) == 4
    assert list(table) == windows
    assert [table[i] for i in range(4)] == windows
    assert table[-1] == windows[-1] and table[1:3] == windows[1:3]
    assert table == windows and table != windows[:3] and table != windows[::-1]
    # the order of each window's names is kept where the windows agree on it
    assert list(table[0].values) == ["hr_bpm", "eda_scl_us"]
    with pytest.raises(IndexError):
        table[4]
    with pytest.raises(IndexError):
        table[-5]


def test_a_window_read_is_a_new_object_the_table_never_changes():
    table = WindowTable.from_vectors(_windows())
    first = table[0]
    first.values["hr_bpm"] = 0.0
    first.flags["ppg"] = ()
    first.markers.append((59.0, "x"))
    assert table[0] == _windows()[0]
    assert table[0] is not table[0]


def test_a_table_pickles_to_an_equal_table():
    table = WindowTable.from_vectors(_windows())
    again = pickle.loads(pickle.dumps(table))
    assert isinstance(again, WindowTable) and again == table


def test_mismatched_matrices_are_refused():
    table = WindowTable.from_vectors(_windows())
    matrices = {**table.matrices, "values": table.matrices["values"][:, :1]}
    with pytest.raises(ValueError, match="'values' has the wrong shape"):
        WindowTable(table.t, table.names, matrices, table.present, {}, {}, {})
    with pytest.raises(ValueError, match="out of range"):
        WindowTable(table.t, table.names, table.matrices, table.present, {4: {}}, {}, {})


def _traced_bytes(make) -> tuple[object, int]:
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        made = make()
        gc.collect()
        return made, tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


def test_a_table_takes_a_fraction_of_the_windows_room():
    rng = np.random.default_rng(0)

    def windows() -> list[FeatureVector]:
        return [
            FeatureVector(
                float(i),
                float(i + 60),
                values={f"feature_{j}": float(v) for j, v in enumerate(rng.normal(size=40))},
                quality={"eda": 1.0, "ppg": 0.5},
                coverage={"eda": 1.0, "ppg": 1.0},
                staleness={"eda": 0.25, "ppg": 0.015625},
            )
            for i in range(2000)
        ]

    made, as_objects = _traced_bytes(windows)
    table, as_table = _traced_bytes(lambda: WindowTable.from_vectors(made))  # type: ignore[arg-type]
    assert table == made
    assert as_table < as_objects / 4
