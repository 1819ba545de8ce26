"""The river classifiers a `[model]` table can name, built from its settings."""

from __future__ import annotations

from river import base, forest, linear_model, multiclass, optim, tree

from emostream.models.config import ModelConfig
from emostream.models.discriminant import GaussianDiscriminant
from emostream.models.map_logistic import MapLogisticRegression
from emostream.models.river_learner import build_river_classifier, is_river_learner


def build_classifier(config: ModelConfig) -> base.Classifier:
    """A fresh, untrained river classifier for `config.learner`.

    Inputs are already per-subject z-scores, so the linear learners need no scaler. Missing
    keys (absent features) contribute nothing, which equals imputing the wearer's baseline.
    """
    if is_river_learner(config.learner):
        return build_river_classifier(config.learner, config.learner_params, config.labels.classes)
    if config.learner == "map-logistic":
        return MapLogisticRegression(
            config.labels.classes,
            config.population_c,
            config.personal_prior_windows,
            seed=config.seed,
        )
    if config.learner == "lda":
        return GaussianDiscriminant(
            config.labels.classes, config.shrinkage, config.personal_prior_windows
        )
    if config.learner == "logistic":
        return multiclass.OneVsRestClassifier(
            linear_model.LogisticRegression(optimizer=optim.SGD(config.learning_rate), l2=config.l2)
        )
    if config.learner == "softmax":
        return linear_model.SoftmaxRegression(
            optimizer=optim.SGD(config.learning_rate), l2=config.l2
        )
    if config.learner == "arf":
        return forest.ARFClassifier(n_models=10, seed=config.seed)
    return tree.HoeffdingAdaptiveTreeClassifier(grace_period=100, seed=config.seed)
