"""`emostream.testing.check_extractor`: every built-in extractor passes it, and each of its
checks fails an extractor that breaks the promise it checks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from emostream.core.spec import StreamSpec
from emostream.features.base import MAX_HISTORY_S, Extractor, ExtractorOutput
from emostream.features.common import CommonParams
from emostream.features.dsp import history
from emostream.features.registry import EXTRACTORS
from emostream.testing.checks import check_extractor
from emostream.windowing import Window


@pytest.mark.parametrize("name", EXTRACTORS.names())
def test_every_built_in_extractor_passes(name):
    check_extractor(EXTRACTORS.get(name))


@dataclass(frozen=True)
class MeanParams(CommonParams):
    pass


class MeanTemp(Extractor):
    """A small, correct extractor: the mean skin temperature of the window's finite samples."""

    name = "mean_temp"
    kinds = ("TEMP",)
    Params = MeanParams
    column = "temp_mean_c"

    def __init__(self, spec: StreamSpec, params: MeanParams):
        super().__init__(spec, params)
        self.reset()

    def reset(self) -> None:
        self._samples = history(self.spec.rate_hz, 1)

    def update(self, timestamps: np.ndarray, data: np.ndarray) -> None:
        self._samples.write(timestamps, data[:, :1])

    def window_values(self, window: Window) -> np.ndarray:
        _, data = self._samples.between(window.t_start, window.t_end)
        return data[:, 0]

    def compute(self, window: Window, key: str) -> ExtractorOutput:
        x = self.window_values(window)
        x = x[np.isfinite(x)]
        if x.size < 2:
            return ExtractorOutput(reasons={"temp": "too few samples"})
        return ExtractorOutput(values={self.column: float(x.mean())})


class BadName(MeanTemp):
    column = "MeanTemp"


class PassesNan(MeanTemp):
    def compute(self, window: Window, key: str) -> ExtractorOutput:
        return ExtractorOutput(values={self.column: float(np.mean(self.window_values(window)))})


class SeesTheFuture(MeanTemp):
    def window_values(self, window: Window) -> np.ndarray:
        _, data = self._samples.between(window.t_start, window.t_end + 10.0)
        return data[:, 0]


class NotDeterministic(MeanTemp):
    def compute(self, window: Window, key: str) -> ExtractorOutput:
        out = super().compute(window, key)
        return ExtractorOutput({k: v + np.random.random() for k, v in out.values.items()})


class RaisesOnGaps(MeanTemp):
    def update(self, timestamps: np.ndarray, data: np.ndarray) -> None:
        if timestamps.size > 1 and np.diff(timestamps).max() > 1.0:
            raise ValueError("unexpected gap")
        super().update(timestamps, data)


class ForgetsNothing(MeanTemp):
    def reset(self) -> None:
        if not hasattr(self, "_samples"):
            super().reset()


class MeanTempKeepingItsWindow(MeanTemp):
    """MeanTemp keeping only what the pipeline says its windows need."""

    def __init__(self, spec: StreamSpec, params: MeanParams, history_s: float = MAX_HISTORY_S):
        Extractor.__init__(self, spec, params, history_s)
        self.reset()

    def reset(self) -> None:
        self._samples = history(self.spec.rate_hz, 1, self.history_s)


class MeanSinceStart(MeanTempKeepingItsWindow):
    """Keeps only a window and two hops, yet averages everything since the first sample."""

    def window_values(self, window: Window) -> np.ndarray:
        _, data = self._samples.between(-np.inf, window.t_end)
        return data[:, 0]


def test_a_correct_extractor_passes():
    check_extractor(MeanTemp)
    spec = StreamSpec("TEMP", "t", ("TEMP",), ("celsius",), 4.0, "t:temp")
    check_extractor(MeanTemp(spec, MeanParams(min_quality=0.3)))
    check_extractor(MeanTempKeepingItsWindow)


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        (BadName, "not a lower-case <signal>_<feature>_<unit> name"),
        (PassesNan, "never NaN"),
        (SeesTheFuture, "not causal"),
        (NotDeterministic, "not deterministic"),
        (RaisesOnGaps, "gap in the input raised"),
        (ForgetsNothing, "after reset()"),
        (MeanSinceStart, "keeping a window and two hops"),
    ],
)
def test_each_check_catches_what_it_promises(broken, message):
    with pytest.raises(AssertionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        check_extractor(broken)
