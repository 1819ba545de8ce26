"""What people say or write, per window: sentiment, word rate and a few linguistic markers.

Input is a `Text` stream: one utterance per sample (a transcribed sentence, a chat message, a
diary entry), optionally with a `speaker` channel. Each utterance is scored once, when it
arrives, with VADER (Hutto & Gilbert 2014; `vaderSentiment`, whose lexicon ships inside the
package, so nothing is downloaded). A window aggregates the utterances it contains.

Text arrives sporadically, so staleness matters: the sentiment features need at least one
utterance in the last `max_age_s` of the window; otherwise they are absent (never 0) and
`reasons["text"]` says why. The utterance count and word rate are always present: silence is
a measurement too. Utterances that are not text, not valid UTF-8, empty or longer than
`max_chars` are skipped and counted (`TextExtractor.skipped`, and `quality_text` per window).
"""

from __future__ import annotations

import re
from collections import Counter, deque
from dataclasses import dataclass
from functools import cache
from typing import ClassVar

import numpy as np
from vaderSentiment.vaderSentiment import NEGATE, SentimentIntensityAnalyzer

from emostream.config import check_range
from emostream.core.spec import StreamSpec
from emostream.errors import ConfigError
from emostream.features.base import Extractor, ExtractorOutput
from emostream.features.common import CommonParams
from emostream.features.registry import register
from emostream.windowing import Window

_WORD_RE = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
FIRST_PERSON_SINGULAR = frozenset({"i", "me", "my", "mine", "myself", "i'm", "i've", "i'd", "i'll"})
_NEGATIONS = frozenset(NEGATE)
#: utterances each extractor keeps scored (older ones are dropped first)
UTTERANCE_CAPACITY = 1 << 14
#: U+FFFD stands where a producer's bytes were not valid UTF-8
_REPLACEMENT = "\ufffd"


@dataclass(frozen=True)
class TextParams(CommonParams):
    """`max_age_s`: sentiment needs an utterance this recent at the window's end.
    `speaker`: only this speaker's utterances count (empty: everyone's).
    `max_chars`: longer utterances are skipped (a pasted document is not an utterance).
    `min_coverage` defaults to 0: text is sporadic, its coverage says nothing."""

    min_coverage: float = 0.0
    max_age_s: float = 30.0
    speaker: str = ""
    max_chars: int = 2000

    def __post_init__(self) -> None:
        super().__post_init__()
        check_range("max_age_s", self.max_age_s, 0.0, 86400.0, low_open=True)
        check_range("max_chars", self.max_chars, 1, 1_000_000)


@dataclass(frozen=True, slots=True)
class UtteranceScore:
    """One utterance's scores: VADER's compound (-1..1) and pos/neg/neu proportions,
    its word counts, whether it asks a question, and the sentiment of its emoji/emoticons
    (None when it has none)."""

    compound: float
    positive: float
    negative: float
    neutral: float
    n_words: int
    n_negations: int
    n_first_person: int
    question: bool
    emoji_valence: float | None

    @property
    def ambiguity(self) -> float:
        """Mixed polarity, 0..1: 1 when positive and negative words weigh the same."""
        total = self.positive + self.negative
        return 2.0 * min(self.positive, self.negative) / total if total > 0 else 0.0


@cache
def _analyzer() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


def _emoji_and_emoticons(text: str, analyzer: SentimentIntensityAnalyzer) -> str:
    """The emoji (as VADER's descriptions) and lexicon emoticons of `text`, space-separated."""
    parts = [analyzer.emojis[ch] for ch in text if ch in analyzer.emojis]
    parts += [
        token
        for token in text.split()
        if token in analyzer.lexicon and not any(c.isalpha() for c in token)
    ]
    return " ".join(parts)


def score_utterance(text: str) -> UtteranceScore:
    """Pure function: the scores of one (valid, non-empty) utterance."""
    analyzer = _analyzer()
    polarity = analyzer.polarity_scores(text)
    words = [w.lower() for w in _WORD_RE.findall(text)]
    symbols = _emoji_and_emoticons(text, analyzer)
    emoji = analyzer.polarity_scores(symbols)["compound"] if symbols else None
    return UtteranceScore(
        compound=float(polarity["compound"]),
        positive=float(polarity["pos"]),
        negative=float(polarity["neg"]),
        neutral=float(polarity["neu"]),
        n_words=len(words),
        n_negations=sum(1 for w in words if w in _NEGATIONS or w.endswith("n't")),
        n_first_person=sum(1 for w in words if w in FIRST_PERSON_SINGULAR),
        question=text.rstrip().endswith("?"),
        emoji_valence=None if emoji is None else float(emoji),
    )


def why_unusable(value: object, max_chars: int) -> str | None:
    """Why an utterance cannot be scored (None when it can)."""
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            return "not valid UTF-8"
    if not isinstance(value, str):
        return "not text"
    if _REPLACEMENT in value:
        return "not valid UTF-8"
    if not value.strip():
        return "empty"
    if len(value) > max_chars:
        return "too long"
    return None


def aggregate(
    scores: list[tuple[float, UtteranceScore]],
    n_unusable: int,
    t_start: float,
    t_end: float,
    p: TextParams,
) -> ExtractorOutput:
    """Pure function: a window's features from its scored utterances `(t_s, score)`."""
    out = ExtractorOutput()
    length_min = (t_end - t_start) / 60.0
    n_words = sum(s.n_words for _, s in scores)
    out.values["text_utterance_count"] = float(len(scores))
    out.values["text_word_rate_per_min"] = n_words / length_min
    if scores or n_unusable:
        out.quality["text"] = len(scores) / (len(scores) + n_unusable)
    recent = [s for t, s in scores if t > t_end - p.max_age_s]
    if not recent:
        skipped = f" ({n_unusable} unusable)" if n_unusable else ""
        out.reasons["text"] = f"no utterance in the last {p.max_age_s:g} s{skipped}"
        return out
    v = out.values
    v["text_valence"] = float(np.mean([s.compound for s in recent]))
    v["text_positive"] = float(np.mean([s.positive for s in recent]))
    v["text_negative"] = float(np.mean([s.negative for s in recent]))
    v["text_neutral"] = float(np.mean([s.neutral for s in recent]))
    v["text_ambiguity"] = float(np.mean([s.ambiguity for s in recent]))
    v["text_question_rate"] = sum(s.question for s in recent) / len(recent)
    words = sum(s.n_words for s in recent)
    if words:
        v["text_negation_rate"] = sum(s.n_negations for s in recent) / words
        v["text_first_person_rate"] = sum(s.n_first_person for s in recent) / words
    emoji = [s.emoji_valence for s in recent if s.emoji_valence is not None]
    if emoji:
        v["text_emoji_valence"] = float(np.mean(emoji))
    return out


def text_features(
    timestamps: np.ndarray,
    data: np.ndarray,
    t_start: float,
    t_end: float,
    p: TextParams,
    speaker_column: int | None = None,
) -> ExtractorOutput:
    """Pure function of a window's utterances (column 0 the text; with `p.speaker`, only the
    rows whose `speaker_column` holds that speaker)."""
    scores: list[tuple[float, UtteranceScore]] = []
    n_unusable = 0
    for t, row in zip(timestamps.tolist(), data, strict=True):
        if speaker_column is not None and row[speaker_column] != p.speaker:
            continue
        if why_unusable(row[0], p.max_chars) is None:
            scores.append((t, score_utterance(_as_str(row[0]))))
        else:
            n_unusable += 1
    return aggregate(scores, n_unusable, t_start, t_end, p)


def _as_str(value: str | bytes) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else value


@register
class TextExtractor(Extractor):
    """Scores each utterance once as it arrives; a window aggregates the scores it holds."""

    name: ClassVar[str] = "text"
    kinds: ClassVar[tuple[str, ...]] = ("Text",)
    Params: ClassVar[type[TextParams]] = TextParams

    def __init__(self, spec: StreamSpec, params: TextParams):
        super().__init__(spec, params)
        if params.speaker and "speaker" not in spec.channels:
            raise ConfigError(
                f"speaker = {params.speaker!r}, but stream '{spec.name}' has no speaker channel",
                key="features.text.speaker",
            )
        self._speaker = spec.channels.index("speaker") if params.speaker else None
        #: (t_s, score or None for an unusable utterance), oldest first
        self._scored: deque[tuple[float, UtteranceScore | None]] = deque(maxlen=UTTERANCE_CAPACITY)
        #: utterances skipped so far, by reason
        self.skipped: Counter[str] = Counter()

    def update(self, timestamps: np.ndarray, data: np.ndarray) -> None:
        p = self.params
        for t, row in zip(timestamps.tolist(), data, strict=True):
            if self._speaker is not None and row[self._speaker] != p.speaker:
                continue
            reason = why_unusable(row[0], p.max_chars)
            if reason is not None:
                self.skipped[reason] += 1
            score = None if reason else score_utterance(_as_str(row[0]))
            self._scored.append((t, score))

    def compute(self, window: Window, key: str) -> ExtractorOutput:
        t_start, t_end = window.t_start, window.t_end
        inside = [(t, s) for t, s in self._scored if t_start < t <= t_end]
        scores = [(t, s) for t, s in inside if s is not None]
        return aggregate(scores, len(inside) - len(scores), t_start, t_end, self.params)

    def reset(self) -> None:
        self._scored.clear()
        self.skipped.clear()
