"""One subject's session, window by window: label markers in, learner input out.

The same encoder serves live prediction, `emostream train` and `emostream evaluate`, so every
path sees exactly the same per-subject normalisation and the same label spans.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from emostream.features.base import FeatureVector
from emostream.labels import LabelSpan, LabelTracker, span_covers
from emostream.models.baseline import SubjectBaseline
from emostream.models.config import ModelConfig


@dataclass(frozen=True, slots=True)
class EncodedWindow:
    t_start: float
    t_end: float
    #: learner input: per-subject z-scores (plus `<name>_raw` values when configured)
    x: dict[str, float]
    zscores: dict[str, float]
    #: spans completed by the markers of this window
    spans: tuple[LabelSpan, ...]
    #: class of the segment this window lies in, when one is open (not yet learnable)
    open_label: str | None


class SessionEncoder:
    """Label tracker plus per-subject baseline for one wearer's session."""

    def __init__(self, config: ModelConfig, feature_names: tuple[str, ...] | None = None):
        self.config = config
        allowed = set(config.features) or None
        if feature_names is not None:
            allowed = set(feature_names) if allowed is None else allowed & set(feature_names)
        self._allowed = allowed
        self.labels = LabelTracker(config.labels)
        self.baseline = SubjectBaseline(
            config.normalise, config.min_baseline_windows, config.baseline_tau_s, config.z_scale
        )
        self.feature_names_seen: set[str] = set()
        self._t0_s: float | None = None

    def encode(self, fv: FeatureVector) -> EncodedWindow:
        spans = tuple(self.labels.feed(fv.markers))
        values = {
            name: float(value)
            for name, value in fv.values.items()
            if (self._allowed is None or name in self._allowed) and math.isfinite(value)
        }
        self.feature_names_seen.update(values)
        open_label = self.labels.open_label(fv.t_start)
        in_baseline = self.labels.open_segment("phase", fv.t_start) == self.config.baseline_phase
        if self.config.normalise == "none":
            zscores: dict[str, float] = {}
            x = dict(values)
        else:
            self.baseline.update(values, fv.t_end, in_baseline)
            zscores = {
                name: _squash(z, self.config.z_squash == "log", self.config.z_clip)
                for name, z in self.baseline.zscores(values).items()
            }
            # a young running baseline is unreliable; a declared baseline phase is not
            if self.config.warmup_s > 0 and not self.baseline.uses_baseline_phase:
                if self._t0_s is None:
                    self._t0_s = fv.t_start
                elapsed = fv.t_end - self._t0_s
                shrink = elapsed / (elapsed + self.config.warmup_s)
                zscores = {name: z * shrink for name, z in zscores.items()}
            x = dict(zscores)
            if self.config.include_raw:
                x.update({f"{name}_raw": value for name, value in values.items()})
        return EncodedWindow(fv.t_start, fv.t_end, x, zscores, spans, open_label)


def _squash(z: float, log: bool, limit: float) -> float:
    """A z-score, log-compressed (sign(z)·ln(1 + |z|)) when `log`, then clipped to ±limit."""
    if log:
        z = math.copysign(math.log1p(abs(z)), z)
    return min(max(z, -limit), limit)


def label_windows(
    windows: list[tuple[float, float]], spans: list[LabelSpan], min_overlap: float
) -> list[str | None]:
    """Each window's class from the first span covering it (None when none does)."""
    out: list[str | None] = [None] * len(windows)
    for span in spans:
        for i, (t_start, t_end) in enumerate(windows):
            if out[i] is None and span_covers(span, t_start, t_end, min_overlap):
                out[i] = span.label
    return out
