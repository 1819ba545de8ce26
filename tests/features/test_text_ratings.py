"""`text_valence` against human ratings (../shared/data/text_sentiment): at least VADER's own
agreement on every corpus, and as close to the mean rating as one rater is on tweets."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from benchmarks.text_sentiment import CORPORA, agreement, load
from emostream.features.text import score_utterance


@pytest.mark.parametrize("corpus", CORPORA)
def test_valence_agrees_with_raters_at_least_as_well_as_vader(shared_data, corpus):
    texts, ratings = load(shared_data / "text_sentiment", corpus)
    assert len(texts) > 3000
    means = np.array([r.mean() for r in ratings])
    analyzer = SentimentIntensityAnalyzer()
    reference = stats.pearsonr([analyzer.polarity_scores(t)["compound"] for t in texts], means)[0]
    valence = np.array([score_utterance(t).compound for t in texts])
    r_mean, _, r_single = agreement(valence, ratings, draws=3)
    assert r_mean >= reference - 1e-9
    if corpus == "tweets":
        assert r_mean > 0.85 and r_single > 0.8
