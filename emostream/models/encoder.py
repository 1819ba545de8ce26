"""One subject's session, window by window: label markers in, learner input out.

The same encoder serves live prediction, `emostream train` and `emostream evaluate`, so every
path sees exactly the same per-subject normalisation and the same label spans.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

from emostream.features.base import FeatureVector
from emostream.labels import LabelSpan, LabelTracker, span_covers
from emostream.models.baseline import SubjectBaseline
from emostream.models.config import ModelConfig

#: name prefix of an input's change over `ModelConfig.change_s`
CHANGE_PREFIX = "change_"
#: the past window a change is measured from may be at most this much older than change_s
#: (as a fraction of it); after a longer gap the change is absent
CHANGE_SLACK = 0.25


@dataclass(frozen=True, slots=True)
class EncodedWindow:
    t_start: float
    t_end: float
    #: learner input: per-subject z-scores, their changes over `change_s` (`change_<name>`)
    #: and `<name>_raw` values, as configured
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
            config.normalise,
            config.min_baseline_windows,
            config.baseline_tau_s,
            config.z_scale,
            config.baseline_phase_tau_s,
        )
        self.feature_names_seen: set[str] = set()
        self._t0_s: float | None = None
        #: (window end, values of `change_features`) over the last `change_s`, oldest first
        self.change_history: deque[tuple[float, dict[str, float]]] = deque()

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
            raw = self.baseline.zscores(values)
            changes = self._changes(values, raw, fv.t_end) if self.config.change_s > 0 else {}
            # a young running baseline is unreliable; a declared baseline phase is not
            shrink = 1.0
            if self.config.warmup_s > 0 and not self.baseline.uses_baseline_phase:
                if self._t0_s is None:
                    self._t0_s = fv.t_start
                elapsed = fv.t_end - self._t0_s
                shrink = elapsed / (elapsed + self.config.warmup_s)
            zscores = {name: self._squash(z) * shrink for name, z in raw.items()}
            x = dict(zscores)
            x.update({name: self._squash(d) * shrink for name, d in changes.items()})
            if self.config.include_raw:
                x.update({f"{name}_raw": value for name, value in values.items()})
        return EncodedWindow(fv.t_start, fv.t_end, x, zscores, spans, open_label)

    def _squash(self, z: float) -> float:
        """A z-score, log-compressed (sign(z)·ln(1 + |z|)) with `z_squash = "log"`, then
        clipped to ±z_clip."""
        if self.config.z_squash == "log":
            z = math.copysign(math.log1p(abs(z)), z)
        return min(max(z, -self.config.z_clip), self.config.z_clip)

    def _changes(
        self, values: dict[str, float], zscores: dict[str, float], t_end_s: float
    ) -> dict[str, float]:
        """`change_<name>`: z-score now minus the z-score, under the same statistics, of the
        window that ended `change_s` earlier (absent without one)."""
        lag_s = self.config.change_s
        history = self.change_history
        while len(history) > 1 and history[1][0] <= t_end_s - lag_s:
            history.popleft()
        then: dict[str, float] = {}
        if history and t_end_s - lag_s * (1.0 + CHANGE_SLACK) <= history[0][0] <= t_end_s - lag_s:
            then = self.baseline.zscores(history[0][1])
        history.append(
            (t_end_s, {n: values[n] for n in self.config.change_features if n in values})
        )
        return {
            f"{CHANGE_PREFIX}{name}": zscores[name] - z_then
            for name, z_then in then.items()
            if name in zscores
        }


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
