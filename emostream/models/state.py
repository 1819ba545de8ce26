"""Component state as data: a codec per stateful type, so model files hold no code.

Each codec turns one component into JSON-ready values (floats of weight tables go to one
float64 array) and restores such values into a freshly built component of the same type.
Hyperparameters are not stored: the fresh component is built from the pipeline's `[model]`
table, which the model file's config hash pins. A new component registers in one line:

    register(MyComponent, fields=("n", "mean"))           # plain attributes
    register(MyComponent, dump=my_dump, restore=my_restore)

A type without a codec raises `NotStorableError`; such a model can only be kept with the
`[model] allow_pickle = true` opt-in (see docs/models.md).
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from river import stats

from emostream.errors import EmostreamError
from emostream.labels import LabelCounts, LabelTracker, SegmentEdge
from emostream.models.baseline import EwVar, SubjectBaseline
from emostream.models.discriminant import GaussianDiscriminant
from emostream.models.drift import DriftMonitor
from emostream.models.encoder import SessionEncoder
from emostream.models.feature_index import FeatureIndex
from emostream.models.map_logistic import MapLogisticRegression
from emostream.models.mixture import ExpertMixture
from emostream.models.prequential import BalancedAccuracy
from emostream.models.smoothing import ProbabilitySmoother


class NotStorableError(EmostreamError):
    """A component has no data codec (e.g. a river tree); it can only be pickled."""


class StateError(EmostreamError):
    """Stored state does not fit the component it is restored into."""


class FloatPool:
    """The float64 array beside the JSON state: weight tables are stored as slices of it."""

    def __init__(self, values: np.ndarray | None = None):
        self._chunks: list[np.ndarray] = []
        self._size = 0
        self.values = values if values is not None else np.empty(0)

    def put(self, floats: Iterable[float]) -> list[int]:
        """Append `floats`; return the [offset, length] reference stored in the JSON."""
        chunk = np.fromiter(floats, dtype=np.float64)
        ref = [self._size, len(chunk)]
        self._chunks.append(chunk)
        self._size += len(chunk)
        return ref

    def array(self) -> np.ndarray:
        return np.concatenate(self._chunks) if self._chunks else np.empty(0)

    def get(self, ref: Any) -> list[float]:
        offset, length = ref
        if not (isinstance(offset, int) and isinstance(length, int)):
            raise StateError("array reference must be two integers")
        if offset < 0 or length < 0 or offset + length > len(self.values):
            raise StateError("array reference out of range")
        return self.values[offset : offset + length].tolist()


Dump = Callable[[Any, FloatPool], Any]
Restore = Callable[[Any, Any, FloatPool], None]


@dataclass(frozen=True, slots=True)
class Codec:
    name: str
    dump: Dump
    restore: Restore


CODECS: dict[type, Codec] = {}


def register(
    cls: type,
    *,
    fields: tuple[str, ...] = (),
    added: tuple[str, ...] = (),
    dump: Dump | None = None,
    restore: Restore | None = None,
    name: str | None = None,
) -> None:
    """Give `cls` a codec: explicit dump/restore functions, or plain attribute `fields`.

    `added` names fields that files written before they existed lack: such a file keeps their
    fresh value. `name` is the type name stored in model files (default: the class name)."""
    if dump is None or restore is None:
        dump, restore = _attribute_codec(fields, added)
    if name is None:  # short names: a class moving between modules keeps its files readable
        name = f"river.{cls.__name__}" if cls.__module__.startswith("river.") else cls.__name__
    CODECS[cls] = Codec(name, dump, restore)


def _codec(cls: type) -> Codec | None:
    if cls not in CODECS and cls.__module__.startswith("river."):
        # river's learners have their codecs there, registered when first needed: importing
        # river's learner modules takes most of a second, which a session without them is spared
        import emostream.models.river_state  # noqa: F401

    return CODECS.get(cls)


def dump_state(obj: Any, pool: FloatPool) -> dict[str, Any]:
    """`{"type": name, "state": ...}` for a registered component."""
    codec = _codec(type(obj))
    if codec is None:
        raise NotStorableError(f"{type(obj).__module__}.{type(obj).__qualname__}")
    return {"type": codec.name, "state": codec.dump(obj, pool)}


def restore_state(obj: Any, node: Any, pool: FloatPool) -> None:
    """Put stored `node` into the freshly built `obj`, which must be of the stored type."""
    codec = _codec(type(obj))
    if codec is None:
        raise NotStorableError(f"{type(obj).__module__}.{type(obj).__qualname__}")
    if not isinstance(node, dict) or node.get("type") != codec.name:
        stored = node.get("type") if isinstance(node, dict) else None
        raise StateError(f"stored component {stored!r} is not a {codec.name}")
    codec.restore(obj, node["state"], pool)


def ensure_storable(obj: Any) -> None:
    """Raise NotStorableError when `obj` (e.g. a fresh classifier) has no data codec."""
    dump_state(obj, FloatPool())


# -- building blocks ------------------------------------------------------------------------
def _attribute_codec(fields: tuple[str, ...], added: tuple[str, ...] = ()) -> tuple[Dump, Restore]:
    """Scalar attributes (numbers, strings, flags, None), checked against the fresh values."""

    def dump(obj: Any, pool: FloatPool) -> dict[str, Any]:
        return {f: getattr(obj, f) for f in fields}

    def restore(obj: Any, state: Any, pool: FloatPool) -> None:
        for f in fields:
            if f in added and f not in state:
                continue
            setattr(obj, f, _scalar_like(state[f], getattr(obj, f)))

    return dump, restore


def _scalar_like(value: Any, fresh: Any) -> Any:
    if isinstance(fresh, (bool, str)):
        if type(value) is not type(fresh):
            raise StateError(f"expected {type(fresh).__name__}, got {type(value).__name__}")
        return value
    if isinstance(fresh, int):
        return as_count(value)
    if isinstance(fresh, float):
        return as_number(value)
    return None if value is None else as_number(value)


def dump_floats(d: Any, pool: FloatPool) -> dict[str, Any]:
    """A str -> float mapping (kept in order) as its keys plus a slice of the float array."""
    return {"keys": list(d.keys()), "values": pool.put(float(v) for v in d.values())}


def load_floats(node: Any, pool: FloatPool) -> dict[str, float]:
    keys, values = node["keys"], pool.get(node["values"])
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise StateError("feature names must be a list of strings")
    if len(keys) != len(values):
        raise StateError("feature names and values differ in length")
    return dict(zip(keys, values, strict=True))


def as_number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise StateError(f"expected a number, got {type(value).__name__}")
    return float(value)


def as_count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise StateError(f"expected a count, got {value!r}")
    return value


def _strings(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise StateError("expected a list of strings")
    return value


def _optional_number(value: Any) -> float | None:
    return None if value is None else as_number(value)


def _numbers(value: Any) -> list[float]:
    if not isinstance(value, list):
        raise StateError("expected a list of numbers")
    return [as_number(v) for v in value]


def as_text(value: Any) -> str:
    if not isinstance(value, str):
        raise StateError(f"class label must be a string, got {type(value).__name__}")
    return value


# -- emostream's linear discriminant -------------------------------------------------------
_MOMENTS = ("count", "mean", "scatter")


def _dump_discriminant(lda: GaussianDiscriminant, pool: FloatPool) -> dict[str, Any]:
    return {
        "feature_names": list(lda.feature_names),
        **{
            level: {f: pool.put(getattr(getattr(lda, level), f).ravel()) for f in _MOMENTS}
            for level in ("population", "wearer")
        },
    }


def _restore_discriminant(lda: GaussianDiscriminant, state: Any, pool: FloatPool) -> None:
    names = _strings(state["feature_names"])
    if len(set(names)) != len(names):
        raise StateError("feature names repeat")
    n_classes, n_features = len(lda.classes), len(names)
    shapes = {"count": (n_classes,), "mean": (n_classes, n_features),
              "scatter": (n_features, n_features)}  # fmt: skip
    for level in ("population", "wearer"):
        moments = getattr(lda, level)
        for f in _MOMENTS:
            values = np.asarray(pool.get(state[level][f]))
            if values.size != int(np.prod(shapes[f])):
                raise StateError(f"{level} {f} does not fit {n_features} features")
            setattr(moments, f, values.reshape(shapes[f]))
    lda.features = FeatureIndex(names)
    lda._weights = None


# -- emostream's MAP logistic regression ---------------------------------------------------
def _dump_map_logistic(model: MapLogisticRegression, pool: FloatPool) -> dict[str, Any]:
    out: dict[str, Any] = {"feature_names": list(model.feature_names)}
    for level in ("population", "wearer"):
        x, y = getattr(model, level).arrays()
        out[level] = {"x": pool.put(x.ravel()), "y": pool.put(y.astype(float))}
    for name in ("population_theta", "theta"):
        out[name] = pool.put(getattr(model, name).ravel())
    return out


def _restore_map_logistic(model: MapLogisticRegression, state: Any, pool: FloatPool) -> None:
    names = _strings(state["feature_names"])
    if len(set(names)) != len(names):
        raise StateError("feature names repeat")
    n_classes, n_features = len(model.classes), len(names)
    rows = {}
    for level in ("population", "wearer"):
        x = np.asarray(pool.get(state[level]["x"]))
        y = np.asarray(pool.get(state[level]["y"]))
        if x.size != y.size * n_features or not np.isin(y, np.arange(n_classes)).all():
            raise StateError(f"{level} windows do not fit {n_features} features and the classes")
        rows[level] = (x.reshape(y.size, n_features), y.astype(np.int64))
    for name in ("population_theta", "theta"):
        theta = np.asarray(pool.get(state[name]))
        if theta.size != n_classes * (n_features + 1):
            raise StateError(f"{name} does not fit {n_features} features")
        setattr(model, name, theta.reshape(n_classes, n_features + 1))
    model.features = FeatureIndex(names)
    for level, (x, y) in rows.items():
        getattr(model, level).set(x, y)
    model._stale_population = False
    model._stale_wearer = bool(rows["wearer"][1].size)
    model._known = (
        np.bincount(np.concatenate((rows["population"][1], rows["wearer"][1])), minlength=n_classes)
        > 0
    )


# -- river: statistics, metrics, drift ------------------------------------------------------
def _dump_var(var: stats.Var, pool: FloatPool) -> list[float]:
    return [var.mean.n, var.mean._mean, var._S]


def _restore_var(var: stats.Var, state: Any, pool: FloatPool) -> None:
    var.mean.n, var.mean._mean, var._S = (as_number(v) for v in state)


def _dump_balanced_accuracy(metric: BalancedAccuracy, pool: FloatPool) -> Any:
    cells = [[t, p, w] for t, row in metric.counts.items() for p, w in row.items()]
    return {"cells": cells, "n_samples": metric.n_samples}


def _restore_balanced_accuracy(metric: BalancedAccuracy, state: Any, pool: FloatPool) -> None:
    for y_true, y_pred, weight in state["cells"]:
        metric.update(as_text(y_true), as_text(y_pred), as_number(weight))
    metric.n_samples = as_count(state["n_samples"])


def _dump_drift(monitor: DriftMonitor, pool: FloatPool) -> None:
    """ADWIN's window lives in river's compiled code; it restarts empty on load."""
    return None


def _restore_drift(monitor: DriftMonitor, state: Any, pool: FloatPool) -> None:
    monitor.reset()


def _dump_random(rng: random.Random, pool: FloatPool) -> list[Any]:
    version, internal, gauss_next = rng.getstate()
    return [version, list(internal), gauss_next]


def _restore_random(rng: random.Random, state: Any, pool: FloatPool) -> None:
    version, internal, gauss_next = state
    if not isinstance(internal, list) or not all(
        isinstance(v, int) and 0 <= v < 2**32 for v in internal
    ):
        raise StateError("random generator state must be a list of 32-bit integers")
    try:
        rng.setstate((version, tuple(internal), gauss_next))
    except (TypeError, ValueError) as exc:
        raise StateError(f"random generator state: {exc}") from None


def dataclass_fields(cls: type) -> tuple[str, ...]:
    """Every field of a dataclass (for `register(cls, fields=dataclass_fields(cls))`)."""
    return tuple(f.name for f in dataclasses.fields(cls))


# -- emostream: per-subject encoder, smoothing, mixture ------------------------------------
def _dump_label_tracker(tracker: LabelTracker, pool: FloatPool) -> dict[str, Any]:
    return {
        "counts": dump_state(tracker.counts, pool),
        "open": [[e.t_s, e.kind, e.name, e.edge] for e in tracker._open.values()],
        "last_t": tracker._last_t,
        "seen_at_last": sorted(tracker._seen_at_last),
    }


def _restore_label_tracker(tracker: LabelTracker, state: Any, pool: FloatPool) -> None:
    restore_state(tracker.counts, state["counts"], pool)
    tracker._open = {}
    for t_s, kind, name, edge in state["open"]:
        kind, name, edge = (as_text(v) for v in (kind, name, edge))
        tracker._open[kind] = SegmentEdge(as_number(t_s), kind, name, edge)
    tracker._last_t = as_number(state["last_t"])
    tracker._seen_at_last = set(_strings(state["seen_at_last"]))


def _dump_baseline(baseline: SubjectBaseline, pool: FloatPool) -> dict[str, Any]:
    return {
        "running": [[name, dump_state(s, pool)] for name, s in baseline._running.items()],
        "baseline": [[name, dump_state(s, pool)] for name, s in baseline._baseline.items()],
        "n_windows": baseline.n_windows,
        "n_baseline_windows": baseline.n_baseline_windows,
    }


def _restore_baseline(baseline: SubjectBaseline, state: Any, pool: FloatPool) -> None:
    baseline._running = {}
    for name, node in state["running"]:
        stat = EwVar(baseline.tau_s) if baseline.tau_s > 0 else stats.Var()
        restore_state(stat, node, pool)
        baseline._running[as_text(name)] = stat
    baseline._baseline = {}
    for name, node in state["baseline"]:
        var = stats.Var()
        restore_state(var, node, pool)
        baseline._baseline[as_text(name)] = var
    baseline.n_windows = as_count(state["n_windows"])
    baseline.n_baseline_windows = as_count(state["n_baseline_windows"])


def _dump_encoder(encoder: SessionEncoder, pool: FloatPool) -> dict[str, Any]:
    return {
        "labels": dump_state(encoder.labels, pool),
        "baseline": dump_state(encoder.baseline, pool),
        "feature_names_seen": sorted(encoder.feature_names_seen),
        "t0_s": encoder._t0_s,
        "change_history": [
            [t_s, dump_floats(values, pool)] for t_s, values in encoder.change_history
        ],
    }


def _restore_encoder(encoder: SessionEncoder, state: Any, pool: FloatPool) -> None:
    restore_state(encoder.labels, state["labels"], pool)
    restore_state(encoder.baseline, state["baseline"], pool)
    encoder.feature_names_seen = set(_strings(state["feature_names_seen"]))
    encoder._t0_s = _optional_number(state["t0_s"])
    encoder.change_history.clear()
    for t_s, values in state.get("change_history", ()):
        encoder.change_history.append((as_number(t_s), load_floats(values, pool)))


def _dump_smoother(smoother: ProbabilitySmoother, pool: FloatPool) -> dict[str, Any]:
    proba = smoother._proba
    return {"proba": None if proba is None else dump_floats(proba, pool), "t_s": smoother._t_s}


def _restore_smoother(smoother: ProbabilitySmoother, state: Any, pool: FloatPool) -> None:
    proba = state["proba"]
    smoother._proba = None if proba is None else load_floats(proba, pool)
    smoother._t_s = _optional_number(state["t_s"])


def _dump_mixture(mixture: ExpertMixture, pool: FloatPool) -> list[float]:
    return list(mixture.log_weights)


def _restore_mixture(mixture: ExpertMixture, state: Any, pool: FloatPool) -> None:
    weights = _numbers(state)
    if len(weights) != len(mixture.log_weights):
        raise StateError(f"expected {len(mixture.log_weights)} expert weights")
    mixture.log_weights = weights


# -- emostream: labelled-window memory of the online model ---------------------------------
def dump_pending_window(window: Any, pool: FloatPool) -> dict[str, Any]:
    """A `PendingWindow` (registered where that type lives)."""
    return {
        "t_start": window.t_start,
        "t_end": window.t_end,
        "x": dump_floats(window.x, pool),
        "state": window.state,
        "experts": [dump_floats(p, pool) for p in window.experts],
    }


def restore_pending_window(window: Any, state: Any, pool: FloatPool) -> None:
    window.t_start, window.t_end = as_number(state["t_start"]), as_number(state["t_end"])
    window.state = as_text(state["state"])
    window.set_inputs(
        load_floats(state["x"], pool), tuple(load_floats(p, pool) for p in state["experts"])
    )


def dump_reservoir(reservoir: Any, pool: FloatPool) -> dict[str, Any]:
    """A `ClassReservoir` (registered where that type lives)."""
    return {
        "items": [
            [label, [dump_floats(x, pool) for x in items]]
            for label, items in reservoir._items.items()
        ],
        "seen": [[label, n] for label, n in reservoir._seen.items()],
        "rng": dump_state(reservoir._rng, pool),
    }


def restore_reservoir(reservoir: Any, state: Any, pool: FloatPool) -> None:
    reservoir._items = {}
    for label, items in state["items"]:
        if not isinstance(items, list) or len(items) > reservoir.size:
            raise StateError(f"reservoir holds more than {reservoir.size} windows per class")
        reservoir._items[as_text(label)] = [load_floats(x, pool) for x in items]
    reservoir._seen = {as_text(label): as_count(n) for label, n in state["seen"]}
    restore_state(reservoir._rng, state["rng"], pool)


register(GaussianDiscriminant, dump=_dump_discriminant, restore=_restore_discriminant)
register(MapLogisticRegression, dump=_dump_map_logistic, restore=_restore_map_logistic)
register(stats.Var, dump=_dump_var, restore=_restore_var)
# stored under the name of river's metric, which files written before it hold
register(
    BalancedAccuracy,
    dump=_dump_balanced_accuracy,
    restore=_restore_balanced_accuracy,
    name="river.BalancedAccuracy",
)
# stored under the name of the river detector it wraps, as files written before it have it
register(DriftMonitor, dump=_dump_drift, restore=_restore_drift, name="river.ADWIN")
register(random.Random, dump=_dump_random, restore=_restore_random)
register(EwVar, fields=("n", "mean", "var", "_t_s"))
# `unsure` (a wearer's "not sure" answers) came after the first format-2 files
register(LabelCounts, fields=dataclass_fields(LabelCounts), added=("unsure",))
register(LabelTracker, dump=_dump_label_tracker, restore=_restore_label_tracker)
register(SubjectBaseline, dump=_dump_baseline, restore=_restore_baseline)
register(SessionEncoder, dump=_dump_encoder, restore=_restore_encoder)
register(ProbabilitySmoother, dump=_dump_smoother, restore=_restore_smoother)
register(ExpertMixture, dump=_dump_mixture, restore=_restore_mixture)
