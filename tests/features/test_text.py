"""The `text` extractor: VADER sentiment and linguistic markers per window, staleness, bad input."""

from __future__ import annotations

import socket

import numpy as np
import pytest

from emostream.core.chunk import Chunk
from emostream.core.spec import StreamSpec, text_spec
from emostream.errors import ConfigError
from emostream.features.engine import FeatureEngine
from emostream.features.text import (
    TextExtractor,
    TextParams,
    score_utterance,
    text_features,
)
from emostream.testing import check_extractor
from emostream.windowing import StreamSlice, Window, WindowConfig, Windower

HR = StreamSpec("HR", "hr", ("HR",), ("bpm",), 1.0, "t:hr")


def test_passes_the_extractor_conformance_checks():
    check_extractor(TextExtractor)


def test_sentiment_direction_and_markers():
    happy = score_utterance("I love this, it is wonderful!")
    sad = score_utterance("I don't like it, this is awful and I'm not okay.")
    assert happy.compound > 0.5 and sad.compound < -0.3
    assert happy.positive > happy.negative and sad.negative > sad.positive
    assert sad.n_negations == 2  # don't, not
    assert sad.n_first_person == 2  # I, I'm
    assert happy.n_negations == 0 and happy.question is False
    assert score_utterance("Where are you going?").question is True
    assert happy.emoji_valence is None
    assert score_utterance("see you tomorrow 😂").emoji_valence > 0
    assert score_utterance("see you tomorrow :(").emoji_valence < 0


def test_window_sentiment_is_the_mean_of_vaders_scores():
    """text_valence, text_positive, text_negative and text_neutral are the means of VADER's
    compound, pos, neg and neu over the window's recent utterances."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    said = ["I love this, it is wonderful!", "This is awful and I hate it.", "The bus is late."]
    ts = np.array([10.0, 12.0, 14.0])
    data = np.array(said, dtype=object)[:, None]
    out = text_features(ts, data, 0.0, 20.0, TextParams()).values
    vader = [SentimentIntensityAnalyzer().polarity_scores(text) for text in said]
    for column, key in [
        ("text_valence", "compound"),
        ("text_positive", "pos"),
        ("text_negative", "neg"),
        ("text_neutral", "neu"),
    ]:
        assert out[column] == pytest.approx(np.mean([v[key] for v in vader])), column


def test_ambiguity_is_one_for_balanced_polarity_and_zero_for_one_sided():
    one_sided = score_utterance("What a wonderful, lovely day!")
    mixed = score_utterance("I love the food but I hate the noise.")
    assert one_sided.negative == 0.0 and one_sided.ambiguity == 0.0
    total = mixed.positive + mixed.negative
    assert mixed.ambiguity == pytest.approx(2 * min(mixed.positive, mixed.negative) / total)
    assert 0.5 < mixed.ambiguity <= 1.0


def test_a_question_followed_by_whitespace_is_still_a_question():
    """Chat messages and transcripts often end in a newline or a space."""
    assert score_utterance("Are you coming?\n").question is True
    assert score_utterance("Is it over? ").question is True
    assert score_utterance("It is over.\n").question is False


def test_scores_without_any_network_access(monkeypatch):
    """The lexicon ships in the package: a fresh analyzer needs no download."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    def refuse(*args, **kwargs):
        raise OSError("network access attempted")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    assert SentimentIntensityAnalyzer().polarity_scores("good :)")["compound"] > 0


def _pipeline(utterances: list[tuple[float, object]], params: TextParams | None = None):
    """Run a real Windower and FeatureEngine over 1 Hz heart rate plus the utterances."""
    spec = text_spec("speech", "t:text")
    windower = Windower(WindowConfig(length_s=20.0, hop_s=5.0))
    engine = FeatureEngine({"text": params or TextParams()}, {"hr": HR, "text": spec})
    t_hr = np.arange(1.0, 121.0)
    windower.push(Chunk.from_arrays(HR, t_hr, np.full(t_hr.size, 70.0)))
    if utterances:
        ts, texts = zip(*utterances, strict=True)
        data = np.empty((len(texts), 1), dtype=object)
        data[:, 0] = texts
        windower.push(Chunk(spec, np.array(ts, dtype=np.float64), data))
    return [(w.t_end, engine.process(w)) for w in windower.pop_ready(flush=True)], engine


def test_sentiment_is_absent_when_no_utterance_is_recent():
    said = [(30.0, "This is wonderful, I love it!"), (31.0, "So happy :)")]
    rows, _ = _pipeline(said, TextParams(max_age_s=10.0))
    by_end = {t_end: fv for t_end, fv in rows}
    assert by_end[35.0].values["text_valence"] > 0.5
    assert by_end[35.0].values["text_utterance_count"] == 2.0
    # 45 s: both utterances still inside the 20 s window, but older than max_age_s
    stale = by_end[45.0]
    assert "text_valence" not in stale.values and "text_positive" not in stale.values
    assert stale.values["text_utterance_count"] == 2.0
    assert "no utterance in the last 10 s" in stale.reasons["text"]
    # 60 s: nothing in the window at all; the count says so, sentiment stays absent
    assert by_end[60.0].values["text_utterance_count"] == 0.0
    assert "text_valence" not in by_end[60.0].values
    # windows before anyone spoke have no sentiment either
    assert "text_valence" not in by_end[25.0].values


def test_text_stream_joins_windows_on_the_same_clock():
    rows, engine = _pipeline([(52.0, "I hate this."), (53.5, "Why me?")])
    by_end = {t_end: fv for t_end, fv in rows}
    assert [name for name, _, _ in engine.bound] == ["text"]
    fv = by_end[55.0]
    assert fv.values["text_valence"] < 0
    assert fv.values["text_question_rate"] == 0.5
    assert fv.values["text_word_rate_per_min"] == pytest.approx(5 / (20 / 60))
    assert "text_valence" not in by_end[50.0].values


def test_bad_utterances_are_counted_and_skipped():
    said = [
        (40.0, "Lovely day."),
        (40.5, b"\xff\xfe broken"),
        (41.0, "   "),
        (41.5, "word " * 1000),
        (42.0, "caf\ufffd"),
        (42.5, float("nan")),
    ]
    rows, engine = _pipeline(said)
    extractor = engine.bound[0][2]
    assert dict(extractor.skipped) == {
        "not valid UTF-8": 2,
        "empty": 1,
        "too long": 1,
        "not text": 1,
    }
    fv = dict(rows)[45.0]
    assert fv.values["text_utterance_count"] == 1.0
    assert fv.values["text_valence"] > 0
    assert fv.quality["text"] == pytest.approx(1 / 6)


def test_only_the_chosen_speaker_counts():
    spec = text_spec("chat", "t:chat", speaker=True)
    data = np.array([["I am furious!", "participant"], ["Great, thanks!", "interviewer"]], object)
    ts = np.array([10.0, 11.0])
    p = TextParams(speaker="participant")
    extractor = TextExtractor(spec, p)
    extractor.update(ts, data)
    out = text_features(ts, data, 0.0, 20.0, p, speaker_column=1)
    assert out.values["text_utterance_count"] == 1.0 and out.values["text_valence"] < 0

    part = StreamSlice(spec, ts, data, ts, data)
    window = Window(0, 0.0, 20.0, {"text": part}, [], [], {"text": 1.0}, {"text": ()})
    assert extractor.compute(window, "text").values == out.values
    with pytest.raises(ConfigError, match="no speaker channel"):
        TextExtractor(text_spec("plain", "t:plain"), p)
