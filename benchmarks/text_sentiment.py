"""Text sentiment against human ratings, and the text extractor's speed, on the VADER corpora.

    .venv/bin/python benchmarks/text_sentiment.py [--data ../shared/data] [--draws 20]

For each corpus of `text_sentiment/` (tweets, movie and Amazon review snippets; each text rated
-4..+4 by about 20 people):

- agreement: Pearson r of the `text` extractor's valence with the mean human rating, next to
  `vaderSentiment`'s own compound score (the reference) and next to a single human rater.
  The single-rater figure is leave-one-out: one rater drawn at random per text against the
  mean of that text's other raters, averaged over `--draws` draws; the extractor is scored
  against the same leave-one-out means, so the two figures compare like with like;
- ambiguity: how the extractor's `text_ambiguity` (mixed polarity) and, for comparison,
  1 - |valence| follow the raters' disagreement (the standard deviation of their ratings),
  as Spearman's rho;
- speed: utterances per second through `TextExtractor.update` (scoring plus the linguistic
  markers) against a bare `SentimentIntensityAnalyzer.polarity_scores` loop (the baseline),
  both on one core in the same run.
"""

from __future__ import annotations

import argparse
import ast
import gzip
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
from scipy import stats
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from emostream.core.spec import text_spec
from emostream.features.text import TextExtractor, TextParams, score_utterance

CORPORA = ("tweets", "movieReviewSnippets", "amazonReviewSnippets")
REPO = Path(__file__).resolve().parents[1]


def load(folder: Path, corpus: str) -> tuple[list[str], list[np.ndarray]]:
    """Texts and each text's individual ratings, joined on the corpus's IDs."""
    texts: dict[str, str] = {}
    with gzip.open(folder / f"{corpus}_GroundTruth.txt.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            parts = line.rstrip("\n").split("\t", 2)
            if len(parts) == 3:
                texts[parts[0]] = parts[2]
    ratings: dict[str, np.ndarray] = {}
    with gzip.open(folder / f"{corpus}_anonDataRatings.txt.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 4:
                ratings[parts[0]] = np.array(ast.literal_eval(parts[3]), dtype=float)
    ids = [i for i in texts if i in ratings and ratings[i].size >= 2]
    return [texts[i] for i in ids], [ratings[i] for i in ids]


def agreement(
    valence: np.ndarray, ratings: list[np.ndarray], draws: int, seed: int = 0
) -> tuple[float, float, float]:
    """(r with the mean rating, r with leave-one-out means, a single rater's r with them)."""
    means = np.array([r.mean() for r in ratings])
    rng = np.random.default_rng(seed)
    ours, single = [], []
    for _ in range(draws):
        picks = [int(rng.integers(r.size)) for r in ratings]
        one = np.array([r[k] for r, k in zip(ratings, picks, strict=True)])
        others = np.array(
            [(r.sum() - r[k]) / (r.size - 1) for r, k in zip(ratings, picks, strict=True)]
        )
        ours.append(stats.pearsonr(valence, others)[0])
        single.append(stats.pearsonr(one, others)[0])
    return float(stats.pearsonr(valence, means)[0]), float(np.mean(ours)), float(np.mean(single))


def throughput(texts: list[str]) -> tuple[float, float]:
    """Utterances/s: (TextExtractor.update, bare VADER polarity_scores), same texts, same run."""
    analyzer = SentimentIntensityAnalyzer()
    start = time.perf_counter()
    for text in texts:
        analyzer.polarity_scores(text)
    baseline = len(texts) / (time.perf_counter() - start)
    extractor = TextExtractor(text_spec("bench", "bench:text"), TextParams())
    data = np.empty((len(texts), 1), dtype=object)
    data[:, 0] = texts
    ts = np.arange(len(texts), dtype=np.float64)
    start = time.perf_counter()
    for lo in range(0, len(texts), 100):  # chunks of 100 utterances, as a source delivers them
        extractor.update(ts[lo : lo + 100], data[lo : lo + 100])
    ours = len(texts) / (time.perf_counter() - start)
    return ours, baseline


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--draws", type=int, default=20)
    args = parser.parse_args(argv)
    folder = args.data / "text_sentiment"
    if not folder.is_dir():
        print(f"{folder}: no such folder (see the data README)", file=sys.stderr)
        return 2
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    print(f"{platform.machine()}, {os.cpu_count()} cores (pinned to one), Python "
          f"{platform.python_version()}")  # fmt: skip
    analyzer = SentimentIntensityAnalyzer()
    print(
        "\n| corpus | texts | r vader (reference) | r text_valence | r text_valence, "
        "leave-one-out | r single rater, leave-one-out | rho text_ambiguity ~ rater sd "
        "| rho 1-abs(valence) ~ rater sd |"
    )
    print("|---|---|---|---|---|---|---|---|")
    all_texts: list[str] = []
    for corpus in CORPORA:
        texts, ratings = load(folder, corpus)
        all_texts += texts
        reference = np.array([analyzer.polarity_scores(t)["compound"] for t in texts])
        scores = [score_utterance(t) for t in texts]
        valence = np.array([s.compound for s in scores])
        r_mean, r_loo, r_single = agreement(valence, ratings, args.draws)
        sd = np.array([r.std(ddof=1) for r in ratings])
        rho_amb = stats.spearmanr([s.ambiguity for s in scores], sd)[0]
        rho_flat = stats.spearmanr(1.0 - np.abs(valence), sd)[0]
        r_ref = stats.pearsonr(reference, [r.mean() for r in ratings])[0]
        print(
            f"| {corpus} | {len(texts)} | {r_ref:.3f} | {r_mean:.3f} | {r_loo:.3f} | "
            f"{r_single:.3f} | {rho_amb:.3f} | {rho_flat:.3f} |"
        )
    ours, baseline = throughput(all_texts)
    print(f"\nthroughput on {len(all_texts)} texts, one core:")
    print(f"  bare vaderSentiment polarity_scores (baseline): {baseline:,.0f} utterances/s")
    print(f"  emostream TextExtractor.update:                  {ours:,.0f} utterances/s")
    print(f"  ratio emostream / baseline: {ours / baseline:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
