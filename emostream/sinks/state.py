"""LSL outlets of the model's output: the state stream and a Markers stream.

State (type `State`, irregular, one sample per window at the window's end):
`state` (index into the label set, which the `p_<label>` channel order gives), `p_<label>…`,
`arousal`, `valence`, `confidence`, `model_version` (windows the model has learned). An
unknown value (no arousal signal yet, no valence mapping, untrained model's state) is NaN,
here and only here.

Markers: `label-request:…` and `drift:…` as the model emits them, and
`model-version:<version>` whenever the model's version changes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from emostream.core.chunk import Chunk
from emostream.core.spec import IRREGULAR_RATE, StreamSpec, markers_spec
from emostream.features.base import FeatureVector
from emostream.sinks.base import Sink
from emostream.sinks.lsl import StreamOutlets


def state_spec(name: str, source_id: str, classes: Sequence[str]) -> StreamSpec:
    channels = (
        "state",
        *(f"p_{c}" for c in classes),
        "arousal",
        "valence",
        "confidence",
        "model_version",
    )
    units = ("index", *("probability",) * len(classes), "z", "", "probability", "windows")
    return StreamSpec(
        kind="State",
        name=name,
        channels=channels,
        units=units,
        rate_hz=IRREGULAR_RATE,
        source_id=source_id,
        channel_format="double64",
    )


def state_sample(prediction: dict[str, Any], classes: Sequence[str]) -> list[float]:
    """One State sample from a prediction row (NaN for unknown values)."""
    state = prediction.get("state")
    index = float(classes.index(state)) if state in classes else math.nan
    version = str(prediction.get("model_version", ""))
    _, _, learned = version.rpartition("+")
    return [
        index,
        *(float(prediction.get(f"p_{c}", math.nan)) for c in classes),
        float(prediction.get("arousal", math.nan)),
        float(prediction.get("valence", math.nan)),
        float(prediction.get("confidence", math.nan)),
        float(learned) if learned.isdigit() else math.nan,
    ]


class StateOutletSink(Sink):
    """Publishes every prediction on a State outlet, and the model's markers on a Markers one."""

    def __init__(self, *, name: str, source_id: str, classes: Sequence[str]):
        self.classes = tuple(classes)
        self.spec = state_spec(name, source_id, self.classes)
        self.markers = markers_spec(f"{name}-Markers", f"{source_id}:markers")
        self._outlets: StreamOutlets | None = StreamOutlets(
            [self.spec, self.markers], model="state"
        )
        self._version: str | None = None

    def on_window(self, features: FeatureVector, prediction: dict[str, Any] | None) -> None:
        if prediction is None or self._outlets is None:
            return
        sample = np.array([state_sample(prediction, self.classes)], dtype=np.float64)
        self._outlets.push(Chunk(self.spec, np.array([features.t_end]), sample))
        version = prediction.get("model_version")
        if version is not None and version != self._version:
            self._version = str(version)
            self._outlets.push_marker(
                self.markers.source_id, features.t_end, f"model-version:{version}"
            )

    def on_marker(self, t_s: float, marker: str) -> None:
        if self._outlets is not None:
            self._outlets.push_marker(self.markers.source_id, t_s, marker)

    def close(self) -> None:
        if self._outlets is not None:
            self._outlets.close()
            self._outlets = None
