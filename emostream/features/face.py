"""Facial expression per window: action-unit intensities and expression probabilities.

Input is a `Face` stream as face-analysis tools publish it (OpenFace, py-feat): one frame per
video frame with a detection `confidence` (0..1), action-unit intensities `AU01`…`AU45`
(OpenFace's 0..5 scale; OpenFace's CSV names `AU01_r` are accepted too) and/or the seven
expression probabilities. Frames without a confident face are dropped; a window whose share
of confident frames is below `min_quality` has no face features. Per channel the window gives
the mean, the maximum and the fraction of frames in which it is active.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from emostream.core.spec import StreamSpec
from emostream.errors import ConfigError
from emostream.features.base import Extractor, ExtractorOutput
from emostream.features.common import CommonParams
from emostream.features.registry import register
from emostream.windowing import Window

#: OpenFace 2 intensity action units
ACTION_UNITS = (
    "AU01", "AU02", "AU04", "AU05", "AU06", "AU07", "AU09", "AU10", "AU12",
    "AU14", "AU15", "AU17", "AU20", "AU23", "AU25", "AU26", "AU45",
)  # fmt: skip
#: the seven basic expressions (py-feat's emotion columns)
EXPRESSIONS = ("anger", "disgust", "fear", "happiness", "sadness", "surprise", "neutral")
CONFIDENCE = "confidence"
_AU_RE = re.compile(r"^au(\d{1,2})(?:_r)?$", re.IGNORECASE)


@dataclass(frozen=True)
class FaceParams(CommonParams):
    """`min_confidence`: frames whose detection confidence is lower are no face.
    `min_quality` (inherited) is the share of confident frames a window needs.
    `au_active`: intensity (0..5) from which an action unit counts as active;
    `expression_active`: probability from which an expression counts as present."""

    min_confidence: float = 0.8
    au_active: float = 1.0
    expression_active: float = 0.5


@dataclass(frozen=True, slots=True)
class FaceLayout:
    """Which columns of the stream hold what, and their feature-name stems."""

    confidence: int | None
    columns: tuple[int, ...]
    stems: tuple[str, ...]
    is_au: tuple[bool, ...]
    #: feature names: the means', the maxima's and the active fractions'
    keys: tuple[tuple[str, ...], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        stats = ("mean", "max", "active")
        keys = tuple(tuple(f"{stem}_{stat}" for stem in self.stems) for stat in stats)
        object.__setattr__(self, "keys", keys)

    @classmethod
    def of(cls, channels: tuple[str, ...]) -> FaceLayout:
        confidence, columns, stems, is_au = None, [], [], []
        for i, label in enumerate(channels):
            name = label.strip().lower()
            match = _AU_RE.match(name)
            if name == CONFIDENCE:
                confidence = i
            elif match:
                columns.append(i)
                stems.append(f"face_au{int(match.group(1)):02d}")
                is_au.append(True)
            elif name in EXPRESSIONS:
                columns.append(i)
                stems.append(f"face_{name}")
                is_au.append(False)
        return cls(confidence, tuple(columns), tuple(stems), tuple(is_au))


def face_channels(expressions: bool = True, action_units: bool = True) -> tuple[str, ...]:
    """Channel labels of a Face stream: confidence, then AUs and/or expressions."""
    return (
        (CONFIDENCE,)
        + (ACTION_UNITS if action_units else ())
        + (EXPRESSIONS if expressions else ())
    )


def face_features(data: np.ndarray, layout: FaceLayout, p: FaceParams) -> ExtractorOutput:
    """Pure function: mean, max and active fraction per channel over the confident frames."""
    out = ExtractorOutput()
    if data.shape[0] == 0:
        out.reasons["face"] = "no face frames in the window"
        return out
    values = np.asarray(data[:, layout.columns], dtype=np.float64)
    ok = np.isfinite(values).all(axis=1)
    if layout.confidence is not None:
        conf = data[:, layout.confidence]
        ok &= np.isfinite(conf) & (conf >= p.min_confidence)
    n_ok = int(np.count_nonzero(ok))
    quality = n_ok / ok.size
    out.quality["face"] = quality
    if quality < p.min_quality or not n_ok:
        out.reasons["face"] = (
            f"quality_face {quality:.2f} < {p.min_quality:.2f} (no confident face)"
        )
        return out
    good = values if n_ok == ok.size else values[ok]
    thresholds = np.where(layout.is_au, p.au_active, p.expression_active)
    v = out.values
    v.update(zip(layout.keys[0], good.mean(axis=0).tolist(), strict=True))
    v.update(zip(layout.keys[1], good.max(axis=0).tolist(), strict=True))
    active = np.count_nonzero(good >= thresholds, axis=0) / n_ok
    v.update(zip(layout.keys[2], active.tolist(), strict=True))
    return out


@register
class FaceExtractor(Extractor):
    """Stateless: every window aggregates its own frames (cheap at video rates)."""

    name: ClassVar[str] = "face"
    kinds: ClassVar[tuple[str, ...]] = ("Face",)
    Params: ClassVar[type[FaceParams]] = FaceParams

    def __init__(self, spec: StreamSpec, params: FaceParams):
        super().__init__(spec, params)
        self.layout = FaceLayout.of(spec.channels)
        if not self.layout.columns:
            raise ConfigError(
                f"stream '{spec.name}' has no action-unit (AU01…AU45) or expression "
                f"({', '.join(EXPRESSIONS)}) channels; its channels are {', '.join(spec.channels)}",
                key="features.face",
            )

    def update(self, timestamps: np.ndarray, data: np.ndarray) -> None:
        """Nothing to carry between windows."""

    def compute(self, window: Window, key: str) -> ExtractorOutput:
        return face_features(window.streams[key].data, self.layout, self.params)
