"""Any river classifier as the learner, named in the pipeline: `learner = "river:<module>.<Class>"`.

`<module>` is a module of the `river` package (`river:naive_bayes.GaussianNB` is
`river.naive_bayes.GaussianNB`), so only river's own classifiers can be named; the class's
keyword arguments come from `[model] learner_params`. A binary-only classifier
(e.g. `linear_model.LogisticRegression`) is wrapped one-vs-rest when there are more than two
classes. Such learners have no data codec: a model file holds them only with the
`allow_pickle` opt-in (docs/models.md).
"""

from __future__ import annotations

import importlib
from typing import Any

from river import base

PREFIX = "river:"


def is_river_learner(learner: str) -> bool:
    return learner.startswith(PREFIX)


def river_class(learner: str) -> type[base.Classifier]:
    """The river classifier class named by `river:<module>.<Class>`; ValueError when the name
    is not a river module's classifier."""
    dotted = learner.removeprefix(PREFIX)
    module_name, _, class_name = dotted.rpartition(".")
    example = "e.g. 'river:naive_bayes.GaussianNB'"
    if not module_name or not class_name or class_name.startswith("_"):
        raise ValueError(f"{learner!r}: give 'river:<module>.<Class>', {example}")
    try:
        module = importlib.import_module(f"river.{module_name}")
    except ImportError:
        raise ValueError(f"{learner!r}: river has no module '{module_name}' ({example})") from None
    cls = getattr(module, class_name, None)
    if not (isinstance(cls, type) and issubclass(cls, base.Classifier)):
        raise ValueError(f"{learner!r}: river.{dotted} is not a river classifier ({example})")
    return cls


def build_river_classifier(
    learner: str, params: dict[str, Any], classes: tuple[str, ...]
) -> base.Classifier:
    """A fresh river classifier; TypeError/ValueError when `params` do not fit its class."""
    classifier = river_class(learner)(**params)
    if len(classes) > 2 and not classifier._multiclass:
        from river import multiclass

        return multiclass.OneVsRestClassifier(classifier)
    return classifier
