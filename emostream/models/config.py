"""The `[model]` table of a pipeline (with `[labels]` nested in as `ModelConfig.labels`)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from emostream.config import FieldError, check_range, parse_dataclass
from emostream.errors import ConfigError
from emostream.labels import LabelConfig

Normalise = Literal["running", "baseline-phase", "none"]
Personalise = Literal["weights", "intercepts"]
PersonalWhere = Literal["everywhere", "unsure"]
ZScale = Literal["baseline", "session"]
ZSquash = Literal["clip", "log"]


@dataclass(frozen=True, slots=True)
class ActiveLearningConfig:
    """When to ask for a self-report: low confidence, within budget, not too often."""

    enabled: bool = True
    #: request a label when the prediction's calibrated confidence is below this (above 1:
    #: every window); 0.7 leaves about as many windows eligible on the E4 datasets as 0.6 did
    #: before the confidence was calibrated (the calibrated Stress-Predict model is never
    #: below 0.6)
    confidence_below: float = 0.7
    #: at most this many requests per session
    budget: int = 12
    min_interval_s: float = 300.0
    #: the request asks for a report about this many preceding seconds
    span_s: float = 120.0

    def __post_init__(self) -> None:
        check_range("confidence_below", self.confidence_below, 0.0)
        check_range("budget", self.budget, 0)
        check_range("min_interval_s", self.min_interval_s, 0.0)
        check_range("span_s", self.span_s, 0.0, low_open=True)


@dataclass(frozen=True, slots=True)
class DriftConfig:
    """ADWIN on the prequential 0/1 error of labelled windows."""

    enabled: bool = True
    delta: float = 0.002

    def __post_init__(self) -> None:
        check_range("delta", self.delta, 0.0, 1.0, low_open=True)


@dataclass(frozen=True, slots=True)
class ModelConfig:
    #: map-logistic: class-balanced multinomial logistic regression with per-wearer MAP
    #: weights (exact, order-free; models/map_logistic.py); lda: linear discriminant with
    #: per-wearer class means (models/discriminant.py); logistic/softmax: SGD linear models;
    #: arf/hoeffding: trees; or any river classifier, "river:<module>.<Class>" (see
    #: models/river_learner.py)
    learner: str = "lda"
    #: keyword arguments of a "river:" learner's class
    learner_params: dict[str, Any] = field(default_factory=dict)
    #: map-logistic: inverse strength C of the population fit's L2 penalty (scikit-learn's C)
    population_c: float = 1.0
    #: lda: shrinkage of the shared covariance towards its diagonal (0..1)
    shrinkage: float = 0.2
    #: lda: weight, in windows, of the population's class mean against the wearer's own
    #: labelled windows (the wearer's mean takes over as their labels outnumber it);
    #: map-logistic: strength τ of the pull of the wearer's weights towards the population's,
    #: in windows' log-loss (τ/2·‖θ − θ_population‖²)
    personal_prior_windows: float = 30.0
    #: map-logistic: what the wearer's labels move, for the classes they labelled: every
    #: weight and intercept ("weights"), or the intercepts alone ("intercepts": the
    #: population's class boundaries shifted for this wearer, not turned)
    personalise: Personalise = "weights"
    #: where the wearer's model is mixed in with the general one: on every window, or only
    #: where the general model's calibrated confidence is below `active.confidence_below`
    #: (the windows where it would ask); elsewhere the general model speaks alone
    personal_where: PersonalWhere = "everywhere"
    #: learning rate of the linear learners' SGD optimiser
    learning_rate: float = 0.05
    l2: float = 1e-4
    #: per-subject normalisation before the learner: running baseline, a declared baseline
    #: phase (running until that phase has `min_baseline_windows`), or none
    normalise: Normalise = "running"
    baseline_phase: str = "baseline"
    min_baseline_windows: int = 30
    #: the spread z-scores divide by once the declared baseline phase is the reference: its
    #: own ("baseline"), or the session's so far ("session": a quiet baseline's small spread
    #: would put every later change at the clip); the centre is the baseline's mean in both.
    #: Only with normalise = "baseline-phase", as is `baseline_phase_tau_s`
    z_scale: ZScale = "baseline"
    #: time constant with which the declared baseline phase's centre forgets the phase's
    #: earlier windows (0: its plain mean), so a phase that starts unsettled (skin conductance
    #: still rising after the sensor is put on, a questionnaire) is represented by its end;
    #: the spread is not affected
    baseline_phase_tau_s: float = 0.0
    #: time constant with which the running baseline forgets (0: never, all windows count)
    baseline_tau_s: float = 0.0
    #: z-scores are clipped to ±z_clip: a feature that barely varied in the baseline would
    #: otherwise give z in the hundreds and decide alone
    z_clip: float = 10.0
    #: before the clip, "log" compresses each z-score to sign(z)·ln(1 + |z|), so values far
    #: beyond the clip (a level well above a quiet baseline) still keep their order
    z_squash: ZSquash = "clip"
    #: z-scores against the running statistics (not yet a declared baseline phase) are
    #: shrunk by elapsed / (elapsed + warmup_s) while the baseline is young, so
    #: the first minutes of a session (few windows, unreliable spread) read as "at baseline"
    warmup_s: float = 600.0
    #: time constant of the causal smoothing of class probabilities across windows (0: off)
    smoothing_s: float = 30.0
    #: feed the raw feature values next to the z-scores
    include_raw: bool = False
    #: also feed, as `change_<name>`, how far each of `change_features` moved over the last
    #: this many seconds, in the units of its z-score (its z now minus its value then under
    #: the same statistics), so a rise reads apart from a level the wearer has long held
    #: (0: off)
    change_s: float = 0.0
    change_features: tuple[str, ...] = ("eda_scl_us", "temp_c", "hr_device_bpm", "hr_bpm")
    #: only these feature columns reach the learner (empty: every feature of the window)
    features: tuple[str, ...] = ()
    #: learning rate of the weights mixing the general model (frozen at the session start)
    #: with the wearer's adapting one (0: use the adapting model alone)
    mix_eta: float = 0.02
    #: learn at most one labelled window per this many seconds (0: every window)
    learn_every_s: float = 0.0
    #: windows kept while waiting for a label; the oldest are dropped beyond this. Their
    #: room (about 8 bytes per input per window) is reserved with the first window
    max_pending_windows: int = 7200
    #: per-class reservoir of labelled windows; each learned window is followed by one
    #: rehearsed window of every other class, so long single-class label blocks (a whole
    #: task segment revealed at once) do not drag the learner to the latest class
    replay_per_class: int = 200
    seed: int = 0
    #: store a learner that has no data codec (river trees) as a pickle; such files are read
    #: only with --trust-model-file (see docs/models.md)
    allow_pickle: bool = False
    active: ActiveLearningConfig = field(default_factory=ActiveLearningConfig)
    drift: DriftConfig = field(default_factory=DriftConfig)
    labels: LabelConfig = field(default_factory=LabelConfig)

    def __post_init__(self) -> None:
        self._check_learner()
        check_range("learning_rate", self.learning_rate, 0.0, low_open=True)
        for name in (
            "l2",
            "smoothing_s",
            "baseline_tau_s",
            "baseline_phase_tau_s",
            "warmup_s",
            "mix_eta",
            "learn_every_s",
            "change_s",
        ):
            check_range(name, getattr(self, name), 0.0)
        check_range("z_clip", self.z_clip, 0.0, low_open=True)
        check_range("population_c", self.population_c, 0.0, low_open=True)
        check_range("shrinkage", self.shrinkage, 0.0, 1.0)
        check_range("personal_prior_windows", self.personal_prior_windows, 0.0)
        check_range("replay_per_class", self.replay_per_class, 0)
        check_range("max_pending_windows", self.max_pending_windows, 1)
        check_range("min_baseline_windows", self.min_baseline_windows, 2)
        if self.personalise != "weights" and self.learner != "map-logistic":
            raise FieldError("personalise", "applies only to the 'map-logistic' learner")
        if self.change_s > 0 and self.normalise == "none":
            raise FieldError("change_s", "needs z-scores: normalise must not be 'none'")
        if self.normalise != "baseline-phase":
            if self.baseline_phase_tau_s > 0:
                raise FieldError(
                    "baseline_phase_tau_s", "applies only with normalise = 'baseline-phase'"
                )
            if self.z_scale != "baseline":
                raise FieldError("z_scale", "applies only with normalise = 'baseline-phase'")

    def _check_learner(self) -> None:
        from emostream.models.learners import LEARNERS
        from emostream.models.river_learner import (
            build_river_classifier,
            is_river_learner,
            river_class,
        )

        if not is_river_learner(self.learner):
            if self.learner not in LEARNERS:
                choices = ", ".join(repr(name) for name in LEARNERS.names())
                raise FieldError(
                    "learner",
                    f"must be one of {choices} or 'river:<module>.<Class>', got {self.learner!r}",
                )
            if self.learner_params:
                raise FieldError("learner_params", "applies only to a 'river:' learner")
            return
        try:
            river_class(self.learner)
        except ValueError as exc:
            raise FieldError("learner", str(exc)) from None
        try:
            build_river_classifier(self.learner, self.learner_params, self.labels.classes)
        except (TypeError, ValueError) as exc:
            raise FieldError("learner_params", f"{self.learner}: {exc}") from None

    @classmethod
    def from_tables(
        cls,
        model: dict[str, Any] | None,
        labels: dict[str, Any] | None,
        *,
        file: str | Path | None = None,
    ) -> ModelConfig:
        """Parse a pipeline's `[model]` and `[labels]` tables (either may be absent)."""
        model = dict(model or {})
        if "labels" in model:
            raise ConfigError(
                "labels belong in their own [labels] table", file=file, key="model.labels"
            )
        parsed = parse_dataclass(cls, model, file=file, key="model")
        label_config = parse_dataclass(LabelConfig, labels or {}, file=file, key="labels")
        label_config = dataclasses.replace(
            label_config, map={k.lower(): v for k, v in label_config.map.items()}
        )
        return dataclasses.replace(parsed, labels=label_config)
