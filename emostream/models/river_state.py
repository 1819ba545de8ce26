"""Codecs of river's linear learners and their SGD optimisers (see emostream/models/state.py,
which imports this module when it first meets a river component)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from river import linear_model, multiclass, optim

from emostream.models.state import (
    FloatPool,
    NotStorableError,
    as_count,
    as_number,
    as_text,
    dump_floats,
    dump_state,
    load_floats,
    register,
    restore_state,
)


def _dump_sgd(opt: optim.SGD, pool: FloatPool) -> dict[str, Any]:
    # a constant learning rate is all the optimiser's state besides the step count
    if type(opt.lr) is not optim.schedulers.Constant:
        raise NotStorableError(f"SGD with scheduler {type(opt.lr).__name__}")
    return {"n_iterations": opt.n_iterations}


def _restore_sgd(opt: optim.SGD, state: Any, pool: FloatPool) -> None:
    opt.n_iterations = as_count(state["n_iterations"])


def _dump_logistic(lr: linear_model.LogisticRegression, pool: FloatPool) -> dict[str, Any]:
    for part in (lr.loss, lr.initializer, lr.intercept_lr):
        if type(part) not in (
            optim.losses.Log,
            optim.initializers.Zeros,
            optim.schedulers.Constant,
        ):
            raise NotStorableError(f"LogisticRegression with {type(part).__name__}")
    return {
        "intercept": lr.intercept,
        "weights": dump_floats(lr._weights, pool),
        "optimizer": dump_state(lr.optimizer, pool),
    }


def _restore_logistic(lr: linear_model.LogisticRegression, state: Any, pool: FloatPool) -> None:
    lr.intercept = as_number(state["intercept"])
    lr._weights.clear()
    for key, value in load_floats(state["weights"], pool).items():
        lr._weights[key] = value
    restore_state(lr.optimizer, state["optimizer"], pool)


def _dump_softmax(sm: linear_model.SoftmaxRegression, pool: FloatPool) -> dict[str, Any]:
    if type(sm.loss) is not optim.losses.CrossEntropy or sm.loss.class_weight:
        raise NotStorableError("SoftmaxRegression with a weighted or other loss")
    return {
        "optimizer": dump_state(sm.optimizer, pool),
        "optimizers": [[label, dump_state(o, pool)] for label, o in sm.optimizers.items()],
        "weights": [[label, dump_floats(w, pool)] for label, w in sm.weights.items()],
    }


def _restore_softmax(sm: linear_model.SoftmaxRegression, state: Any, pool: FloatPool) -> None:
    restore_state(sm.optimizer, state["optimizer"], pool)
    sm.optimizers.clear()
    for label, node in state["optimizers"]:
        restore_state(sm.optimizers[as_text(label)], node, pool)
    sm.weights.clear()
    for label, node in state["weights"]:
        sm.weights[as_text(label)] = defaultdict(float, load_floats(node, pool))


def _dump_one_vs_rest(ovr: multiclass.OneVsRestClassifier, pool: FloatPool) -> dict[str, Any]:
    return {
        "template": dump_state(ovr.classifier, pool),
        "classifiers": [[label, dump_state(c, pool)] for label, c in ovr.classifiers.items()],
    }


def _restore_one_vs_rest(ovr: multiclass.OneVsRestClassifier, state: Any, pool: FloatPool) -> None:
    restore_state(ovr.classifier, state["template"], pool)
    ovr.classifiers = {}
    for label, node in state["classifiers"]:
        member = ovr.classifier.clone()
        restore_state(member, node, pool)
        ovr.classifiers[as_text(label)] = member


register(optim.SGD, dump=_dump_sgd, restore=_restore_sgd)
register(linear_model.LogisticRegression, dump=_dump_logistic, restore=_restore_logistic)
register(linear_model.SoftmaxRegression, dump=_dump_softmax, restore=_restore_softmax)
register(multiclass.OneVsRestClassifier, dump=_dump_one_vs_rest, restore=_restore_one_vs_rest)
