"""Columns built from and read as Arrow buffers equal what pyarrow's own conversions give."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from emostream.core.arrow import column_array, float_values, table_from_rows

numbers = st.one_of(st.none(), st.floats(allow_nan=True), st.integers(-(2**40), 2**40))
texts = st.one_of(st.none(), st.text(max_size=8))


@given(st.one_of(st.lists(numbers, max_size=30), st.lists(texts, max_size=30)))
@settings(max_examples=400, deadline=None)
def test_column_is_pyarrows(values):
    got, want = column_array(values), pa.array(values)
    assert got.type == want.type
    assert got.null_count == want.null_count
    got_list, want_list = got.to_pylist(), want.to_pylist()
    for g, w in zip(got_list, want_list, strict=True):  # NaN == NaN here
        assert g == w or (isinstance(g, float) and math.isnan(g) and math.isnan(w))


def test_other_columns_go_through_pyarrow():
    assert column_array([True, None, False]).type == pa.bool_()
    assert column_array([None, None]).type == pa.null()
    assert column_array([[1.0], None]).type == pa.list_(pa.float64())


@given(st.lists(st.one_of(st.none(), st.floats(allow_nan=False)), max_size=40), st.data())
@settings(max_examples=300, deadline=None)
def test_float_values_read_any_slice_with_nulls_as_nan(values, data):
    def as_numpy(vs):
        return np.array([np.nan if v is None else v for v in vs], dtype=float)

    array = pa.array(values, type=pa.float64())
    start = data.draw(st.integers(0, len(values)))
    piece = array.slice(start)
    np.testing.assert_array_equal(float_values(piece), as_numpy(values[start:]))
    chunked = pa.chunked_array([piece, piece[:0], array], type=pa.float64())
    want = np.concatenate((as_numpy(values[start:]), as_numpy(values)))
    np.testing.assert_array_equal(float_values(chunked), want)


def test_rows_with_varying_keys_make_one_table():
    rows = [{"t": 0.0, "hr": 61.5}, {"t": 1.0, "state": "calm"}, {"t": 2.0, "hr": None}]
    table = table_from_rows(rows)
    assert table.column_names == ["t", "hr", "state"]
    assert table.equals(pa.table({"t": [0.0, 1.0, 2.0], "hr": [61.5, None, None],
                                  "state": [None, "calm", None]}))  # fmt: skip
