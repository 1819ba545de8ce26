"""The river classifiers a `[model]` table can name, built from its settings."""

from __future__ import annotations

from collections.abc import Callable

from river import base

from emostream.core.registry import Registry
from emostream.models.config import ModelConfig
from emostream.models.discriminant import GaussianDiscriminant
from emostream.models.map_logistic import MapLogisticRegression
from emostream.models.river_learner import build_river_classifier, is_river_learner

#: `[model] learner` name → builder of a fresh, untrained classifier from the model settings
LEARNERS: Registry[Callable[[ModelConfig], base.Classifier]] = Registry("learner")


@LEARNERS.register("map-logistic")
def _map_logistic(config: ModelConfig) -> base.Classifier:
    return MapLogisticRegression(
        config.labels.classes,
        config.population_c,
        config.personal_prior_windows,
        intercepts_only=config.personalise == "intercepts",
        seed=config.seed,
    )


@LEARNERS.register("lda")
def _lda(config: ModelConfig) -> base.Classifier:
    return GaussianDiscriminant(
        config.labels.classes, config.shrinkage, config.personal_prior_windows
    )


@LEARNERS.register("logistic")
def _logistic(config: ModelConfig) -> base.Classifier:
    from river import linear_model, multiclass, optim  # imported when chosen

    return multiclass.OneVsRestClassifier(
        linear_model.LogisticRegression(optimizer=optim.SGD(config.learning_rate), l2=config.l2)
    )


@LEARNERS.register("softmax")
def _softmax(config: ModelConfig) -> base.Classifier:
    from river import linear_model, optim

    return linear_model.SoftmaxRegression(optimizer=optim.SGD(config.learning_rate), l2=config.l2)


@LEARNERS.register("arf")
def _arf(config: ModelConfig) -> base.Classifier:
    from river import forest  # imported when chosen: it takes a while to import

    return forest.ARFClassifier(n_models=10, seed=config.seed)


@LEARNERS.register("hoeffding")
def _hoeffding(config: ModelConfig) -> base.Classifier:
    from river import tree  # imported when chosen: it takes a while to import

    return tree.HoeffdingAdaptiveTreeClassifier(grace_period=100, seed=config.seed)


def build_classifier(config: ModelConfig) -> base.Classifier:
    """A fresh, untrained river classifier for `config.learner`.

    Inputs are already per-subject z-scores, so the linear learners need no scaler. Missing
    keys (absent features) contribute nothing, which equals imputing the wearer's baseline.
    """
    if is_river_learner(config.learner):
        return build_river_classifier(config.learner, config.learner_params, config.labels.classes)
    return LEARNERS.get(config.learner)(config)
