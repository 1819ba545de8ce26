"""Online emotion-state model: predict every window, learn each one when its label arrives.

Order per window (prequential): encode → predict → queue → learn the queued windows that the
labels completed so far cover (the current one included, since it is already predicted).
A window is never learned before it is predicted, and each is learned at most once.
"""

from __future__ import annotations

import copy
import logging
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from river import base

from emostream.errors import EmostreamError, ModelError
from emostream.features.base import FeatureVector
from emostream.labels import LabelSpan
from emostream.models.arousal import arousal_index
from emostream.models.calibration import TopLabelCalibration
from emostream.models.config import ModelConfig
from emostream.models.discriminant import GaussianDiscriminant
from emostream.models.drift import DriftMonitor
from emostream.models.encoder import SessionEncoder
from emostream.models.learners import build_classifier
from emostream.models.map_logistic import MapLogisticRegression
from emostream.models.mixture import ExpertMixture
from emostream.models.pending import PendingQueue, PendingWindow
from emostream.models.persist import (
    PICKLE,
    decode_data,
    decode_pickle,
    read_model_file,
    write_model_file,
)
from emostream.models.prequential import BalancedAccuracy
from emostream.models.smoothing import ProbabilitySmoother
from emostream.models.state import (
    FloatPool,
    NotStorableError,
    StateError,
    as_count,
    as_number,
    as_text,
    dataclass_fields,
    dump_pending_window,
    dump_reservoir,
    dump_state,
    register,
    restore_pending_window,
    restore_reservoir,
    restore_state,
)

log = logging.getLogger(__name__)

UNKNOWN_STATE = "unknown"


class ClassReservoir:
    """Uniform reservoir sample of labelled inputs, one per class (Vitter's algorithm R)."""

    def __init__(self, size: int, seed: int):
        self.size = size
        self._rng = random.Random(seed)
        self._items: dict[str, list[dict[str, float]]] = {}
        self._seen: dict[str, int] = {}

    def add(self, x: dict[str, float], label: str) -> None:
        items = self._items.setdefault(label, [])
        seen = self._seen[label] = self._seen.get(label, 0) + 1
        if len(items) < self.size:
            items.append(x)
        else:
            slot = self._rng.randrange(seen)
            if slot < self.size:
                items[slot] = x

    def rehearsal(self, label: str) -> list[tuple[dict[str, float], str]]:
        """One stored input of every class other than `label`."""
        return [
            (self._rng.choice(items), other)
            for other, items in sorted(self._items.items())
            if other != label and items
        ]


@dataclass(slots=True)
class StepResult:
    #: prediction row: t_end, state, p_<label>…, arousal, valence, confidence, label, model_version
    prediction: dict[str, Any]
    #: markers to emit on the output Markers stream (label requests, drift)
    markers: list[str] = field(default_factory=list)
    #: windows learned during this step
    n_learned: int = 0


@dataclass(slots=True)
class ModelCounters:
    n_predicted: int = 0
    n_learned: int = 0
    n_dropped_unlabelled: int = 0
    n_label_requests: int = 0
    n_drifts: int = 0
    last_request_t: float | None = None


class OnlineStateModel(base.Classifier):
    """Wraps a river classifier with per-subject normalisation, late labels, active learning,
    drift detection and persistence.

    It is itself a river classifier on learner inputs (`learn_one`, `predict_proba_one`), so
    river's tools, e.g. `evaluate.progressive_val_score`, take it as they take any classifier.
    """

    def __init__(
        self,
        config: ModelConfig,
        *,
        config_hash: str,
        feature_names: list[str] | None = None,
    ):
        self.config = config
        self.config_hash = config_hash
        self.feature_names = tuple(feature_names) if feature_names is not None else None
        self.classes = config.labels.classes
        self.classifier: base.Classifier = build_classifier(config)
        self.origin = "new"
        #: what the model was trained on offline: {"dataset": ..., "subjects": {name:
        #: input fingerprint}}; empty for a model that learned only live
        self.trained_on: dict[str, Any] = {}
        #: windows the classifier has learned, over all sessions and offline training
        self.n_trained = 0
        self.reservoir = ClassReservoir(config.replay_per_class, config.seed)
        #: frozen copy of the classifier at the session start (the general model)
        self.anchor: base.Classifier | None = None
        #: calibration of the output probabilities' top class (see `calibration`)
        self.calibration = TopLabelCalibration()
        self._reset_session()

    def _reset_session(self) -> None:
        self.encoder = SessionEncoder(self.config, self.feature_names)
        self.pending = PendingQueue(self.config.max_pending_windows)
        self.counters = ModelCounters()
        self.prequential = BalancedAccuracy()
        self.smoother = ProbabilitySmoother(self.config.smoothing_s)
        self._drift = DriftMonitor(self.config.drift.delta)
        self._last_fit_t = -math.inf
        self.mixture = ExpertMixture(2, self.config.mix_eta)

    def new_session(self) -> None:
        """Start a new wearer/session: fresh baseline, queue, budget and drift detector.
        The classifier (general or already personalised) is kept and goes on learning; a
        frozen copy of it is mixed in while `mix_eta` > 0."""
        self._reset_session()
        start = getattr(self.classifier, "new_session", None)
        if start is not None:  # learners with per-wearer state start a new wearer
            start()
        self.anchor = (
            copy.deepcopy(self.classifier) if self.is_trained and self.config.mix_eta > 0 else None
        )

    # -- prediction ---------------------------------------------------------------------
    @property
    def is_trained(self) -> bool:
        return self.n_trained > 0

    @property
    def model_version(self) -> str:
        return f"{self.config.learner}-{self.origin}+{self.n_trained}"

    def predict_proba(self, x: dict[str, float]) -> dict[str, float]:
        """Probability of every class (uniform while untrained)."""
        return self._combine(self._experts(x))

    def _combine(self, experts: tuple[dict[str, float], ...]) -> dict[str, float]:
        if len(experts) == 1:
            return experts[0]
        if self.config.personal_where == "unsure":
            general = self.calibration.apply(experts[0])
            if max(general.values()) >= self.config.active.confidence_below:
                return experts[0]
        return self.mixture.combine(experts)

    def _experts(self, x: dict[str, float]) -> tuple[dict[str, float], ...]:
        """(general, personal) probabilities when a general model is kept, else (personal,)."""
        personal = self._proba_of(self.classifier, x)
        if self.anchor is None:
            return (personal,)
        return (self._proba_of(self.anchor, x), personal)

    def _proba_of(self, classifier: base.Classifier, x: dict[str, float]) -> dict[str, float]:
        # asked even while untrained, so every window is predicted before it can be learned
        raw = classifier.predict_proba_one(x)  # type: ignore[arg-type]  # river types x as dict[Hashable, Any]
        if not self.is_trained:
            raw = {}
        proba = {c: max(float(raw.get(c, 0.0)), 0.0) for c in self.classes}
        total = sum(proba.values())
        if total <= 0:
            return {c: 1.0 / len(self.classes) for c in self.classes}
        return {c: p / total for c, p in proba.items()}

    def step(self, fv: FeatureVector, *, learn: bool = True) -> StepResult:
        """Predict this window, then learn every queued window the labels so far now cover.

        With `learn` False the window is only predicted: nothing is queued or learned (the
        frozen general model of a held-out wearer), and label requests are still made."""
        enc = self.encoder.encode(fv)
        experts = self._experts(enc.x)
        proba = self._combine(experts)
        if self.is_trained:
            proba = self.smoother.update(fv.t_end, proba)
            state, proba = self.calibration.apply_with_state(proba)
            confidence = proba[state]
        else:
            state, confidence = UNKNOWN_STATE, 0.0
        self.counters.n_predicted += 1
        row: dict[str, Any] = {"t_end": fv.t_end, "state": state}
        row.update({f"p_{c}": proba[c] for c in self.classes})
        arousal = arousal_index(enc.zscores)
        if arousal is not None:
            row["arousal"] = arousal
        valence = self._valence(proba)
        if valence is not None:
            row["valence"] = valence
        row["confidence"] = confidence
        if enc.open_label is not None:
            row["label"] = enc.open_label
        row["model_version"] = self.model_version

        markers: list[str] = []
        n_learned = 0
        if learn:
            self._enqueue(
                PendingWindow(
                    fv.t_start,
                    fv.t_end,
                    enc.x,
                    state,
                    experts if len(experts) > 1 else (),
                )
            )
            n_learned = sum(self._apply_span(span, markers) for span in enc.spans)
        request = self._label_request(fv.t_end, confidence)
        if request:
            markers.append(request)
        return StepResult(row, markers, n_learned)

    def _valence(self, proba: dict[str, float]) -> float | None:
        table = self.config.labels.valence
        if not table or not self.is_trained:
            return None
        return sum(proba[c] * table[c] for c in self.classes if c in table)

    # -- learning -----------------------------------------------------------------------
    def _enqueue(self, window: PendingWindow) -> None:
        if self.pending.append(window):
            self.counters.n_dropped_unlabelled += 1

    def _apply_span(self, span: LabelSpan, markers: list[str]) -> int:
        learned = 0
        for window in self.pending.take_covered(span, self.config.labels.min_overlap):
            self._score(window, span.label, markers)
            # overlapping windows at a short hop are near copies: learn one per learn_every_s
            # (measured either way: a report can label windows older than the last learned)
            if abs(window.t_end - self._last_fit_t) >= self.config.learn_every_s - 1e-9:
                self._fit(window.x, span.label)
                self._last_fit_t = window.t_end
                self.counters.n_learned += 1
                learned += 1
        return learned

    def _score(self, window: PendingWindow, label: str, markers: list[str]) -> None:
        """Prequential score, expert reweighting and drift check of a newly labelled window."""
        if window.experts:
            self.mixture.update(window.experts, label)
        if window.state != UNKNOWN_STATE:
            error = float(window.state != label)
            self.prequential.update(label, window.state)
            if self.config.drift.enabled:
                before = self._drift.estimation
                self._drift.update(error)
                # ADWIN flags any change; only a rising error means the model went stale
                if self._drift.drift_detected and self._drift.estimation > before:
                    self.counters.n_drifts += 1
                    marker = f"drift:adwin:error={self._drift.estimation:.3f}"
                    log.info(
                        "drift at %.3f s (prequential error now %.3f)",
                        window.t_end,
                        self._drift.estimation,
                    )
                    markers.append(marker)

    def learn_reports(self, markers: Sequence[tuple[float, str]]) -> tuple[int, list[str]]:
        """Self-reports as they arrive, between windows: the queued windows they cover are
        learned now instead of when the next window closes. The same markers still come with
        their window, which counts them and labels any window still to close; windows learned
        here have left the queue, so nothing is learned twice. Returns the windows learned and
        the markers this emitted (drift)."""
        out: list[str] = []
        n_learned = 0
        for t_s, text in markers:
            span = self.encoder.labels.preview_report(t_s, text)
            if span is not None:
                n_learned += self._apply_span(span, out)
        return n_learned, out

    def learn_markers(self, markers: Sequence[tuple[float, str]]) -> tuple[int, list[str]]:
        """Markers that no window will carry (after the last one, at the end of a stream): the
        label tracker takes them now, and the queued windows their spans cover are learned.
        Returns the windows learned and the markers this emitted (drift)."""
        out: list[str] = []
        spans = self.encoder.labels.feed(list(markers))
        return sum(self._apply_span(span, out) for span in spans), out

    def learn_encoded(self, x: dict[str, float], label: str) -> None:
        """Learn one already-encoded window offline (building a general model)."""
        if label not in self.classes:
            raise ModelError(f"label {label!r} is not in the label set {list(self.classes)}")
        self._fit(x, label)

    # -- river's classifier API, on learner inputs (what `encoder` makes of a window) --------
    # (river types x as dict[Hashable, Any]; these take feature names to floats)
    @property
    def _multiclass(self) -> bool:
        return True

    def learn_one(self, x: dict[str, float], y: str) -> None:  # type: ignore[override]
        """Learn one encoded input `x` of class `y` (river's `Classifier.learn_one`)."""
        self.learn_encoded(x, y)

    def predict_proba_one(self, x: dict[str, float]) -> dict[str, float]:  # type: ignore[override]
        """Probability of every class for encoded input `x` (river's `predict_proba_one`)."""
        return self.predict_proba(x)

    def predict_one(self, x: dict[str, float]) -> str:  # type: ignore[override]
        """The most probable class for encoded input `x` (river's `predict_one`)."""
        proba = self.predict_proba(x)
        return max(self.classes, key=proba.__getitem__)

    def _fit(self, x: dict[str, float], label: str) -> None:
        self.classifier.learn_one(x, label)  # type: ignore[arg-type]  # river types x as dict[Hashable, Any]
        self.n_trained += 1
        # an order-free learner (sufficient statistics) needs no rehearsal against recency
        if self.reservoir.size and not isinstance(
            self.classifier, (GaussianDiscriminant, MapLogisticRegression)
        ):
            for old_x, old_label in self.reservoir.rehearsal(label):
                self.classifier.learn_one(old_x, old_label)  # type: ignore[arg-type]  # river types x as dict[Hashable, Any]
            self.reservoir.add(x, label)

    # -- active learning ----------------------------------------------------------------
    def _label_request(self, t_s: float, confidence: float) -> str | None:
        active = self.config.active
        c = self.counters
        if not active.enabled or confidence >= active.confidence_below:
            return None
        if c.n_label_requests >= active.budget:
            return None
        if c.last_request_t is not None and t_s - c.last_request_t < active.min_interval_s:
            return None
        c.n_label_requests += 1
        c.last_request_t = t_s
        return f"label-request:{active.span_s:g}s:confidence={confidence:.2f}"

    # -- persistence --------------------------------------------------------------------
    def _header(self) -> dict[str, Any]:
        names = self.feature_names or tuple(sorted(self.encoder.feature_names_seen))
        return {
            "feature_names": list(names),
            "classes": list(self.classes),
            "label_map": dict(self.config.labels.map),
            "learner": self.config.learner,
            "config_hash": self.config_hash,
            "trained_on": self.trained_on,
        }

    def save(self, path: str | Path) -> None:
        """Write classifier and session state as data; see `persist` for the file format.

        A learner without a data codec (river trees) is written as a pickle only with the
        `[model] allow_pickle = true` opt-in; otherwise ModelError says so.
        """
        pool = FloatPool()
        try:
            state = self._dump_state(pool)
        except NotStorableError as exc:
            if not self.config.allow_pickle:
                raise ModelError(
                    f"{path}: the '{self.config.learner}' learner cannot be stored as data "
                    f"({exc} has no codec); set `allow_pickle = true` in [model] to store it "
                    "as a pickle, and load it with --trust-model-file"
                ) from None
            digest = write_model_file(path, self._header(), pickled=self._payload())
        else:
            digest = write_model_file(path, self._header(), state=state, floats=pool.array())
        if self.origin == "new":
            self.origin = digest[:8]

    def _dump_state(self, pool: FloatPool) -> dict[str, Any]:
        return {
            "classifier": dump_state(self.classifier, pool),
            "anchor": None if self.anchor is None else dump_state(self.anchor, pool),
            "encoder": dump_state(self.encoder, pool),
            "pending": [dump_state(w, pool) for w in self.pending],
            "counters": dump_state(self.counters, pool),
            "prequential": dump_state(self.prequential, pool),
            "smoother": dump_state(self.smoother, pool),
            "drift": dump_state(self._drift, pool),
            "last_fit_t": self._last_fit_t,
            "mixture": dump_state(self.mixture, pool),
            "origin": self.origin,
            "n_trained": self.n_trained,
            "reservoir": dump_state(self.reservoir, pool),
            "calibration": [self.calibration.slope, self.calibration.intercept],
        }

    def _restore_state(self, state: Any, pool: FloatPool) -> None:
        restore_state(self.classifier, state["classifier"], pool)
        if state["anchor"] is not None:
            self.anchor = build_classifier(self.config)
            restore_state(self.anchor, state["anchor"], pool)
        restore_state(self.encoder, state["encoder"], pool)
        if len(state["pending"]) > self.config.max_pending_windows:
            raise StateError(f"more than {self.config.max_pending_windows} pending windows")
        self.pending.extend(_restored_window(node, pool) for node in state["pending"])
        for part, key in ((self.counters, "counters"), (self.prequential, "prequential"),
                          (self.smoother, "smoother"), (self._drift, "drift"),
                          (self.mixture, "mixture"), (self.reservoir, "reservoir")):  # fmt: skip
            restore_state(part, state[key], pool)
        self._last_fit_t = as_number(state["last_fit_t"])
        self.origin = as_text(state["origin"])
        self.n_trained = as_count(state["n_trained"])
        self.calibration = _restored_calibration(state.get("calibration", [1.0, 0.0]))

    def _payload(self) -> dict[str, Any]:
        return {
            "classifier": self.classifier,
            "encoder": self.encoder,
            "pending": list(self.pending),
            "counters": self.counters,
            "prequential": self.prequential,
            "smoother": self.smoother,
            "drift": self._drift,
            "last_fit_t": self._last_fit_t,
            "anchor": self.anchor,
            "mixture": self.mixture,
            "origin": self.origin,
            "n_trained": self.n_trained,
            "reservoir": self.reservoir,
            "calibration": self.calibration,
        }

    @classmethod
    def load(
        cls,
        path: str | Path,
        config: ModelConfig,
        *,
        config_hash: str,
        feature_names: list[str] | None = None,
        trust_pickle: bool = False,
        adopt_classes: bool = False,
    ) -> OnlineStateModel:
        """Load a saved model, refusing one made for another pipeline, label set or features.

        The header is checked before the state is decoded; a pickled file is refused unless
        `trust_pickle`. With `adopt_classes` (the pipeline names no classes of its own), the
        file's label set replaces the default one, as the dataset's did when it was trained.
        When the label sets agree, the file's label map (how the training data's segment
        names became classes) fills in the names the pipeline's own map leaves out.
        """
        file = read_model_file(path, trust_pickle=trust_pickle)
        header = file.header
        if adopt_classes:
            config = _with_classes(config, header.get("classes"))
        if header.get("classes") == list(config.labels.classes):
            config = _with_label_map(config, header.get("label_map", {}), path)
        model = cls(config, config_hash=config_hash, feature_names=feature_names)
        problems = []
        if header.get("config_hash") != config_hash:
            problems.append(
                f"pipeline config hash {header.get('config_hash')!r} differs from this "
                f"pipeline's {config_hash!r}"
            )
        if header.get("classes") != list(model.classes):
            problems.append(f"label set {header.get('classes')} differs from {list(model.classes)}")
        if header.get("learner") != config.learner:
            problems.append(f"learner {header.get('learner')!r} differs from {config.learner!r}")
        if feature_names is not None and header.get("feature_names") != list(feature_names):
            problems.append("its feature names differ from this pipeline's features")
        if problems:
            raise ModelError(
                f"{path}: model does not match this pipeline: {'; '.join(problems)}. "
                "Use the pipeline it was trained with, or retrain with `emostream train`."
            )
        model.trained_on = _trained_on(header.get("trained_on") or {}, path)
        if header["encoding"] == PICKLE:
            model._load_payload(decode_pickle(file), path)
        else:
            state, floats = decode_data(file)
            try:
                model._restore_state(state, FloatPool(floats))
            except (EmostreamError, KeyError, TypeError, ValueError, IndexError) as exc:
                detail = f": {exc}" if isinstance(exc, EmostreamError) else ""
                raise ModelError(
                    f"{path}: model state is invalid{detail}; retrain with `emostream train`"
                ) from None
        if model.origin == "new":
            model.origin = header["sha256"][:8]
        return model

    def _load_payload(self, payload: Any, path: str | Path) -> None:
        try:
            self.classifier = payload["classifier"]
            self.encoder = payload["encoder"]
            self.pending.extend(payload["pending"])  # a list (a deque before the queue)
            self.counters = payload["counters"]
            self.prequential = payload["prequential"]
            self.smoother = payload["smoother"]
            self._drift = payload["drift"]
            self._last_fit_t = payload["last_fit_t"]
            self.anchor = payload["anchor"]
            self.mixture = payload["mixture"]
            self.origin = payload["origin"]
            self.n_trained = payload["n_trained"]
            self.reservoir = payload["reservoir"]
            self.calibration = payload.get("calibration", TopLabelCalibration())
        except (KeyError, TypeError):
            raise ModelError(
                f"{path}: model payload is incomplete; retrain with `emostream train`"
            ) from None

    def copy(self) -> OnlineStateModel:
        """Independent deep copy (e.g. one general model personalised for many wearers)."""
        return copy.deepcopy(self)


def _restored_calibration(node: Any) -> TopLabelCalibration:
    """The [slope, intercept] pair of a saved calibration."""
    if not isinstance(node, list) or len(node) != 2:
        raise StateError("calibration must be [slope, intercept]")
    return TopLabelCalibration(as_number(node[0]), as_number(node[1]))


def _restored_window(node: Any, pool: FloatPool) -> PendingWindow:
    window = PendingWindow(0.0, 0.0, {}, UNKNOWN_STATE)
    restore_state(window, node, pool)
    return window


def _with_classes(config: ModelConfig, classes: Any) -> ModelConfig:
    """`config` with the label set `classes` (a model file's), if it is a valid one that the
    `[labels]` table's map, arousal classes and valences fit; otherwise `config` unchanged,
    and `load` reports the mismatch."""
    if not (isinstance(classes, list) and all(isinstance(c, str) for c in classes)):
        return config
    try:
        labels = replace(config.labels, classes=tuple(classes))
    except ValueError:
        return config
    return replace(config, labels=labels)


def _with_label_map(config: ModelConfig, value: Any, path: str | Path) -> ModelConfig:
    """`config` whose map also holds the file's `label_map` entries (segment or state name ->
    class, "" for unlabelled) for the names it does not map itself."""
    if not (isinstance(value, dict) and all(isinstance(v, str) for v in value.values())):
        raise ModelError(f"{path}: model file header is corrupt ('label_map' is malformed)")
    merged = {**value, **config.labels.map}
    if merged == config.labels.map:
        return config
    try:
        labels = replace(config.labels, map=merged)
    except ValueError as exc:
        raise ModelError(f"{path}: model file header is corrupt ('label_map': {exc})") from None
    return replace(config, labels=labels)


def _trained_on(value: Any, path: str | Path) -> dict[str, Any]:
    """The header's `trained_on` table: {"dataset": str, "subjects": {name: fingerprint}}."""
    subjects = value.get("subjects", {}) if isinstance(value, dict) else None
    if not (
        isinstance(subjects, dict)
        and isinstance(value.get("dataset", ""), str)
        and all(isinstance(v, str) for v in subjects.values())
    ):
        raise ModelError(f"{path}: model file header is corrupt ('trained_on' is malformed)")
    return dict(value)


register(PendingWindow, dump=dump_pending_window, restore=restore_pending_window)
register(ClassReservoir, dump=dump_reservoir, restore=restore_reservoir)
register(ModelCounters, fields=dataclass_fields(ModelCounters))
