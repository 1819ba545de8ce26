"""Predicted windows waiting for their label (pure, no I/O).

A wearer's windows wait until a label covers them: up to `max_pending_windows` (two hours of
1 s hops by default). The queue keeps them as rows of arrays whose room for every window is
reserved, and written, when the first window arrives, so a run's memory does not creep up
while windows wait; a window's inputs and its experts' probabilities are rebuilt as dicts,
in their original order, only when a label takes it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from emostream.labels import LabelSpan

#: spare input columns reserved beyond the widest window so far (inputs that appear later)
SPARE_INPUTS = 4


class PendingWindow:
    """A predicted window waiting for a label: its span, inputs, predicted state and, when a
    general model is kept, the (general, personal) probabilities at prediction time."""

    __slots__ = ("_classes", "_names", "_probas", "_values", "state", "t_end", "t_start")
    t_start: float
    t_end: float
    state: str
    _names: tuple[str, ...]
    _values: np.ndarray
    _classes: tuple[str, ...]
    _probas: np.ndarray

    def __init__(
        self,
        t_start: float,
        t_end: float,
        x: dict[str, float],
        state: str,
        experts: tuple[dict[str, float], ...] = (),
    ):
        self.t_start, self.t_end, self.state = t_start, t_end, state
        self.set_inputs(x, experts)

    def set_inputs(self, x: dict[str, float], experts: tuple[dict[str, float], ...]) -> None:
        self._names = tuple(x)
        self._values = np.fromiter(x.values(), np.float64, len(x))
        self._classes = tuple(experts[0]) if experts else ()
        self._probas = np.array([[p[c] for c in self._classes] for p in experts], np.float64)

    @property
    def x(self) -> dict[str, float]:
        return dict(zip(self._names, self._values.tolist(), strict=True))

    @property
    def experts(self) -> tuple[dict[str, float], ...]:
        return tuple(dict(zip(self._classes, row, strict=True)) for row in self._probas.tolist())


class PendingQueue:
    """Oldest-first queue of at most `capacity` pending windows (see the module docstring)."""

    def __init__(self, capacity: int):
        self.capacity = capacity
        self._n = 0
        self._head = 0  # row of the oldest window
        # distinct input-name tuples, states and expert class tuples; rows refer to them
        self._names: list[tuple[str, ...]] = []
        self._states: list[str] = []
        self._classes: list[tuple[str, ...]] = []
        self._times = np.empty((0, 2))
        self._meta = np.empty((0, 4), dtype=np.int32)
        self._values = np.empty((0, 0))
        self._probas = np.empty((0, 0))

    def __len__(self) -> int:
        return self._n

    def __iter__(self) -> Iterator[PendingWindow]:
        return (self._window(self._row(i)) for i in range(self._n))

    def __getitem__(self, index: int) -> PendingWindow:
        if not -self._n <= index < self._n:
            raise IndexError("pending window index out of range")
        return self._window(self._row(index % self._n))

    @property
    def nbytes(self) -> int:
        """Bytes reserved for the windows' arrays."""
        return sum(a.nbytes for a in (self._times, self._meta, self._values, self._probas))

    def append(self, window: PendingWindow) -> bool:
        """Queue `window`; True when the queue was full and its oldest window was dropped."""
        if not self._times.shape[0]:
            self._reserve()
        dropped = self._n == self.capacity
        if dropped:
            self._head = (self._head + 1) % self.capacity
            self._n -= 1
        row = self._row(self._n)
        self._values = _wide_enough(self._values, window._values.size, SPARE_INPUTS)
        self._probas = _wide_enough(self._probas, window._probas.size, 0)
        self._times[row] = (window.t_start, window.t_end)
        self._meta[row] = (
            _index(self._names, window._names),
            _index(self._states, window.state),
            _index(self._classes, window._classes),
            window._probas.shape[0],
        )
        self._values[row, : window._values.size] = window._values
        self._probas[row, : window._probas.size] = window._probas.ravel()
        self._n += 1
        return dropped

    def take_covered(self, span: LabelSpan, min_overlap: float) -> list[PendingWindow]:
        """Remove and return, oldest first, the windows that `span` labels; the others keep
        their order."""
        rows = self._row(np.arange(self._n))
        covered = spans_cover(span, self._times[rows, 0], self._times[rows, 1], min_overlap)
        if not covered.any():
            return []
        taken = [self._window(int(row)) for row in rows[covered]]
        kept = rows[~covered]
        self._n = kept.size
        to = self._row(np.arange(self._n))
        for array in (self._times, self._meta, self._values, self._probas):
            array[to] = array[kept]
        return taken

    def extend(self, windows: Iterable[PendingWindow]) -> None:
        """Queue each of `windows`, oldest first (a restored session's)."""
        for window in windows:
            self.append(window)

    def _row(self, i: Any) -> Any:
        return (self._head + i) % self.capacity

    def _reserve(self) -> None:
        """Room for `capacity` windows' times and metadata, written now so that it is memory
        already in use (`append` widens the inputs and probabilities the same way)."""
        self._times = np.full((self.capacity, 2), np.nan)
        self._meta = np.full((self.capacity, 4), -1, dtype=np.int32)
        self._values = np.full((self.capacity, 0), np.nan)
        self._probas = np.full((self.capacity, 0), np.nan)

    def _window(self, row: int) -> PendingWindow:
        names_id, state_id, classes_id, n_experts = self._meta[row].tolist()
        window = PendingWindow.__new__(PendingWindow)
        window.t_start, window.t_end = self._times[row].tolist()
        window.state = self._states[state_id]
        window._names = self._names[names_id]
        window._values = self._values[row, : len(window._names)].copy()
        window._classes = self._classes[classes_id]
        size = n_experts * len(window._classes)
        window._probas = self._probas[row, :size].reshape(n_experts, len(window._classes)).copy()
        return window


def spans_cover(
    span: LabelSpan, t_start: np.ndarray, t_end: np.ndarray, min_overlap: float
) -> np.ndarray:
    """`labels.span_covers` for arrays of windows."""
    length = t_end - t_start
    inside = np.minimum(t_end, span.t_to_s) - np.maximum(t_start, span.t_from_s)
    return (length > 0) & (inside >= min_overlap * length - 1e-9)


def _index(items: list[Any], item: Any) -> int:
    """Position of `item` in `items`, appended when new (a queue sees only a few)."""
    for i in range(len(items) - 1, -1, -1):
        if items[i] == item:
            return i
    items.append(item)
    return len(items) - 1


def _wide_enough(array: np.ndarray, width: int, spare: int) -> np.ndarray:
    """`array`, or a copy with room for `width` + `spare` columns when it is narrower."""
    if array.shape[1] >= width:
        return array
    wider = np.full((array.shape[0], width + spare), np.nan, dtype=array.dtype)
    wider[:, : array.shape[1]] = array
    return wider
