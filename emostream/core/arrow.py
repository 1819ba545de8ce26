"""Columns between Python/NumPy and Arrow through Arrow's buffers.

`pyarrow.array` and `Array.to_numpy` import pandas (about 0.2-0.3 s) on their first call,
even for plain numbers, to check for pandas types. Number and text columns, which are all that
`emostream process` reads and writes, are built from and read as buffers here instead; any
other column goes through `pyarrow.array`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa

#: the largest text column (bytes) that a `string` array's 32-bit offsets can hold
MAX_STRING_BYTES = 2**31 - 1


def float_values(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """A float64 column as a NumPy array, nulls as NaN."""
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    if any(chunk.type != pa.float64() for chunk in chunks):
        raise TypeError(f"expected a float64 column, got {column.type}")
    parts = []
    for chunk in chunks:
        validity, data = chunk.buffers()
        n, offset = len(chunk), chunk.offset
        values = np.frombuffer(data, dtype=np.float64, count=n, offset=offset * 8).copy()
        if chunk.null_count:
            bits = np.unpackbits(np.frombuffer(validity, dtype=np.uint8), bitorder="little")
            values[~bits[offset : offset + n].astype(bool)] = np.nan
        parts.append(values)
    return np.concatenate(parts) if parts else np.zeros(0)


def _validity(values: Sequence[Any]) -> tuple[pa.Buffer | None, int]:
    present = np.fromiter((v is not None for v in values), dtype=bool, count=len(values))
    n_null = int(present.size - np.count_nonzero(present))
    if not n_null:
        return None, 0
    return pa.py_buffer(np.packbits(present, bitorder="little")), n_null


def column_array(values: Sequence[Any]) -> pa.Array:
    """An Arrow array of `values` (None = null), of the type `pyarrow.array` infers: float64
    when the numbers include a float, int64 when all are ints, string for text."""
    kinds = {type(v) for v in values if v is not None}
    validity, n_null = _validity(values)
    n = len(values)
    if kinds and all(k is not bool and issubclass(k, (int, float)) for k in kinds):
        as_float = any(issubclass(k, float) for k in kinds)
        dtype, arrow_type = (np.float64, pa.float64()) if as_float else (np.int64, pa.int64())
        data = np.fromiter((0 if v is None else v for v in values), dtype=dtype, count=n)
        return pa.Array.from_buffers(arrow_type, n, [validity, pa.py_buffer(data)], n_null)
    if kinds == {str}:
        encoded = [b"" if v is None else v.encode() for v in values]
        lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=n)
        if lengths.sum() <= MAX_STRING_BYTES:
            offsets = np.zeros(n + 1, dtype=np.int32)
            np.cumsum(lengths, out=offsets[1:])
            buffers = [validity, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))]
            return pa.Array.from_buffers(pa.string(), n, buffers, n_null)
    return pa.array(values)


def table_from_rows(rows: Sequence[dict[str, Any]]) -> pa.Table:
    """Rows with varying keys → one table, columns in order of first appearance; an absent
    key becomes a null."""
    names: dict[str, None] = {}
    for row in rows:
        names.update(dict.fromkeys(row))
    return pa.Table.from_arrays(
        [column_array([row.get(c) for row in rows]) for c in names], names=list(names)
    )
