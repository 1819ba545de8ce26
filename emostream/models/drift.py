"""Drift monitor: river's ADWIN over the prequential error, built when the first error comes.

`river.drift` imports river's datasets (pandas, scikit-learn) on the way; a session without
labels never scores a window, so it never pays for that import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from river.drift import ADWIN


class DriftMonitor:
    """ADWIN (`delta`: its confidence) on a stream of errors in [0, 1]."""

    def __init__(self, delta: float):
        self.delta = delta
        self._adwin: ADWIN | None = None

    def update(self, error: float) -> None:
        if self._adwin is None:
            from river.drift import ADWIN

            self._adwin = ADWIN(delta=self.delta)
        self._adwin.update(error)

    def reset(self) -> None:
        """Forget every error seen (an empty window)."""
        self._adwin = None

    @property
    def estimation(self) -> float:
        """Mean error over ADWIN's current window (0 before the first error)."""
        return 0.0 if self._adwin is None else float(self._adwin.estimation)

    @property
    def drift_detected(self) -> bool:
        """Whether the last update cut the window (the error's mean changed)."""
        return self._adwin is not None and bool(self._adwin.drift_detected)

    @property
    def width(self) -> int:
        """Number of errors in ADWIN's current window."""
        return 0 if self._adwin is None else int(self._adwin.width)
