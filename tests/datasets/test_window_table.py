"""Feature windows held as matrices: each read gives back the window it was made from."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from emostream.datasets.window_table import WindowTable
from emostream.features.base import FeatureVector

from .conftest import every_field_windows, traced_growth


def test_every_window_reads_back_as_it_was_made():
    windows = every_field_windows()
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
    table = WindowTable.from_vectors(every_field_windows())
    first = table[0]
    first.values["hr_bpm"] = 0.0
    first.flags["ppg"] = ()
    first.markers.append((59.0, "x"))
    assert table[0] == every_field_windows()[0]
    assert table[0] is not table[0]


def test_a_table_pickles_to_an_equal_table():
    table = WindowTable.from_vectors(every_field_windows())
    again = pickle.loads(pickle.dumps(table))
    assert isinstance(again, WindowTable) and again == table


def test_mismatched_matrices_are_refused():
    table = WindowTable.from_vectors(every_field_windows())
    matrices = {**table.matrices, "values": table.matrices["values"][:, :1]}
    with pytest.raises(ValueError, match="'values' has the wrong shape"):
        WindowTable(table.t, table.names, matrices, table.present, {}, {}, {})
    with pytest.raises(ValueError, match="out of range"):
        WindowTable(table.t, table.names, table.matrices, table.present, {4: {}}, {}, {})


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

    made, as_objects = traced_growth(windows)
    table, as_table = traced_growth(lambda: WindowTable.from_vectors(made))  # type: ignore[arg-type]
    assert table == made
    assert as_table < as_objects / 4
