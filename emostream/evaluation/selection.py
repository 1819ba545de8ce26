"""Nested leave-one-subject-out choice of the model's inputs, normalisation and learner.

A default chosen by its score on the subjects it is then scored on is optimistic. Here every
candidate (a set of input groups × the z-scores' spread × how the declared baseline's centre
weighs the phase × a learner, and the lag of the inputs' change when it has that group) is
scored
leave-one-subject-out *inside* the training subjects of each outer fold; the candidate best
there is scored on the outer subject. The mean of those outer scores estimates what the
selection procedure gives a new wearer; the candidate best over all subjects is what a
pipeline would then ship. The same is reported for the one-standard-error rule (Breiman et
al. 1984; Hastie et al., *The Elements of Statistical Learning*, 7.10): of the candidates
within one standard error of the best, the one with the fewest optional choices, which
fits the inner folds by luck less often than the best of many.

Candidates are scored as the generic protocol predicts (the general model frozen, the
wearer's declared-baseline z-scores, probabilities smoothed like the online model's), on the
held-out session in its natural order and, when given, re-assembled in shuffled orders: a
subject's score is the mean over those sessions, so a normalisation that works only in the
protocol's own order is not preferred. The learners' general models are batch fits equal to
the online learners' (`lda`: scikit-learn's shrinkage LDA with equal priors; `map-logistic`:
class-balanced logistic regression; see the tests of both), so each candidate is one fit per
training set. A model trained without subjects a and b scores both a (for the outer fold b)
and b (for a): one fit per pair.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import itertools
import typing
from collections import Counter
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.signal import lfilter
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from emostream.cluster import ClusterOptions, client_for
from emostream.datasets.windows import SubjectWindows
from emostream.evaluation import stats
from emostream.evaluation.protocols import Progress, encode_session
from emostream.evaluation.references import feature_matrix
from emostream.models.config import ModelConfig, ZScale
from emostream.models.encoder import CHANGE_PREFIX

if TYPE_CHECKING:
    from distributed import Client, Future

#: optional groups of inputs (name prefixes); every candidate has every other input
INPUT_GROUPS: dict[str, tuple[str, ...]] = {
    "hrv": ("hr_bpm", "hrv_"),
    "scr": ("eda_scr_",),
    "device-hr": ("hr_device_",),
    "acc-axes": ("acc_x_", "acc_y_", "acc_z_"),
    # the change over `change_s` of those of `ModelConfig.change_features` the candidate has
    "change": (CHANGE_PREFIX,),
}
#: the lags offered for the "change" group; a pipeline's own `ModelConfig.change_s` joins them
CHANGE_LAGS_S = (60.0, 120.0, 300.0)
#: the declared baseline's centre: its plain mean (0), or forgetting its earlier windows with
#: a time constant of one window length (`ModelConfig.baseline_phase_tau_s`); a pipeline's own
#: value joins them
BASELINE_PHASE_TAUS_S = (0.0, 60.0)


def _lda(shrinkage: float) -> Callable[[int], Any]:
    return lambda n: LinearDiscriminantAnalysis(
        solver="lsqr", shrinkage=shrinkage, priors=np.full(n, 1.0 / n)
    )


def _logistic(c: float) -> Callable[[int], Any]:
    return lambda n: LogisticRegression(C=c, class_weight="balanced", max_iter=2000)


#: learner settings → a fresh general model for n classes
LEARNERS: dict[str, Callable[[int], Any]] = {
    "lda shrinkage=0.2": _lda(0.2),
    "lda shrinkage=0.5": _lda(0.5),
    "map-logistic population_c=0.1": _logistic(0.1),
    "map-logistic population_c=1": _logistic(1.0),
}


#: the spreads a declared baseline's z-scores may divide by (`ModelConfig.z_scale`)
Z_SCALES = typing.get_args(ZScale)


@dataclasses.dataclass(frozen=True, slots=True)
class Candidate:
    learner: str
    groups: tuple[str, ...]
    #: column indices of the inputs it uses
    columns: tuple[int, ...]
    z_scale: str = "baseline"
    #: the lag of the "change" group's inputs (0 without that group)
    change_s: float = 0.0
    #: the time constant of the declared baseline's centre (0: its plain mean)
    baseline_phase_tau_s: float = 0.0

    @property
    def n_choices(self) -> int:
        """How many optional choices it makes: its input groups, a spread other than the
        baseline's own and a centre other than the baseline's plain mean."""
        return len(self.groups) + (self.z_scale != "baseline") + (self.baseline_phase_tau_s != 0)

    @property
    def name(self) -> str:
        lag = f", change_s={self.change_s:g}" if self.change_s else ""
        tau = self.baseline_phase_tau_s
        centre = f", baseline_phase_tau_s={tau:g}" if tau else ""
        groups = "+".join(self.groups) or "core"
        return f"{self.learner} + {groups}, z_scale={self.z_scale}{centre}{lag}"


@dataclasses.dataclass(slots=True)
class _Session:
    x: np.ndarray  # every window, declared baseline only
    truth: np.ndarray  # labelled windows' classes
    labelled: np.ndarray  # mask of labelled windows among all


@dataclasses.dataclass(slots=True)
class _Subject:
    train_x: np.ndarray  # labelled windows (every `stride`-th), every marker
    train_y: np.ndarray
    tests: list[_Session]  # the natural order, then any shuffled ones


def candidates(
    names: Sequence[str],
    z_scales: Sequence[str] = ("baseline",),
    change_lags_s: Sequence[float] = CHANGE_LAGS_S,
    baseline_phase_taus_s: Sequence[float] = (0.0,),
) -> list[Candidate]:
    """Every combination of the input groups present in `names`, with every z-score spread,
    baseline centre and learner, and every lag for the combinations with the "change"
    group."""
    grouped = {
        g: [i for i, n in enumerate(names) if n.startswith(prefixes)]
        for g, prefixes in INPUT_GROUPS.items()
    }
    core = [i for i in range(len(names)) if not any(i in cols for cols in grouped.values())]
    present = [g for g, cols in grouped.items() if cols]
    out: list[Candidate] = []
    for r in range(len(present) + 1):
        for combo in itertools.combinations(present, r):
            chosen = core + [i for g in combo if g != "change" for i in grouped[g]]
            if "change" in combo:
                sources = {names[i] for i in chosen}
                chosen += [
                    i for i in grouped["change"] if names[i][len(CHANGE_PREFIX) :] in sources
                ]
            columns = tuple(sorted(chosen))
            lags = change_lags_s if "change" in combo else (0.0,)
            out.extend(
                Candidate(learner, combo, columns, z_scale, lag, tau)
                for lag in lags
                for tau in baseline_phase_taus_s
                for z_scale in z_scales
                for learner in LEARNERS
            )
    return out


def _input_names(config: ModelConfig, subject: SubjectWindows) -> list[str]:
    """Every input the encoder gives `subject`'s session: the columns of every matrix."""
    return sorted({k for x in encode_session(config, subject, labels=False) for k in x})


def _prepare(
    config: ModelConfig,
    subject: SubjectWindows,
    reordered: Sequence[SubjectWindows],
    names: list[str],
    stride: int,
) -> _Subject:
    natural = _session(
        feature_matrix(encode_session(config, subject, labels=False), names, 0.0), subject
    )
    tests = [natural] + [
        _session(feature_matrix(encode_session(config, s, labels=False), names, 0.0), s)
        for s in reordered
    ]
    rows = np.flatnonzero(natural.labelled)
    strided = rows % stride == 0
    train = feature_matrix(encode_session(config, subject, labels=True), names, 0.0)
    return _Subject(train[rows[strided]], natural.truth[strided], tests)


def _session(x: np.ndarray, subject: SubjectWindows) -> _Session:
    truth = np.array([t or "" for t in subject.truth])
    labelled = truth != ""
    return _Session(x, truth[labelled], labelled)


#: a candidate's LOSO score per subject, and its scores without pairs (see `candidate_scores`)
_CandidateScores = tuple[dict[str, float], dict[tuple[str, str], float]]


@dataclasses.dataclass(frozen=True, slots=True)
class _Scorer:
    """Fits and scores candidates on the prepared subjects; sent whole to a cluster's workers."""

    data: dict[tuple[str, float, float, str], _Subject]  # (z_scale, lag, centre's τ, subject)
    ids: list[str]
    #: the lag whose inputs serve candidates without the "change" group (the others are equal)
    first_lag_s: float
    #: the online model's smoothing of probabilities, per window
    alpha: float

    def inputs(self, candidate: Candidate, subject: str) -> _Subject:
        lag = candidate.change_s or self.first_lag_s
        return self.data[candidate.z_scale, lag, candidate.baseline_phase_tau_s, subject]

    def fit(self, candidate: Candidate, train: list[str]) -> Any:
        cols = list(candidate.columns)
        x = np.vstack([self.inputs(candidate, s).train_x[:, cols] for s in train])
        y = np.concatenate([self.inputs(candidate, s).train_y for s in train])
        return LEARNERS[candidate.learner](len(np.unique(y))).fit(x, y)

    def score(self, model: Any, candidate: Candidate, subject: str) -> float:
        alpha, scores = self.alpha, []
        for session in self.inputs(candidate, subject).tests:
            p = model.predict_proba(session.x[:, list(candidate.columns)])
            p = lfilter([alpha], [1.0, alpha - 1.0], p, axis=0, zi=(1.0 - alpha) * p[:1])[0]
            predicted = model.classes_[p.argmax(axis=1)][session.labelled]
            scores.append(stats.balanced_accuracy(session.truth, predicted))
        return float(np.mean(scores))

    def candidate_scores(self, candidate: Candidate) -> _CandidateScores:
        """Each subject's score by a model trained on all the others (LOSO), and each
        subject b's score by a model trained without a and b, keyed (a, b)."""
        ids = self.ids
        with threadpool_limits(limits=1):
            loso = {
                o: self.score(self.fit(candidate, [s for s in ids if s != o]), candidate, o)
                for o in ids
            }
            without_pair: dict[tuple[str, str], float] = {}
            for a, b in itertools.combinations(ids, 2):
                model = self.fit(candidate, [s for s in ids if s not in (a, b)])
                without_pair[a, b] = self.score(model, candidate, b)
                without_pair[b, a] = self.score(model, candidate, a)
        return loso, without_pair


#: an encoding setting: (z_scale, change lag, baseline_phase_tau_s)
_Setting = tuple[str, float, float]


def _encoded_scorer(
    settings: dict[_Setting, ModelConfig],
    subjects: Sequence[SubjectWindows],
    reordered: Callable[[str], list[SubjectWindows]],
    names: list[str],
    stride: int,
    scorer: Callable[[dict[tuple[str, float, float, str], _Subject]], _Scorer],
    client: Client | None,
    progress: Progress,
) -> _Scorer | Future:
    """`scorer` of every subject's matrices under every setting, keyed (*setting, subject):
    built in this process, or on a worker of `client` from one task per subject and setting
    (then a future: the matrices never come to this process). One subject's re-assembled
    sessions are held here at a time."""
    data: dict[tuple[str, float, float, str], Any] = {}
    for subject in subjects:
        others = reordered(subject.subject)
        if client is None:
            for setting, config in settings.items():
                data[(*setting, subject.subject)] = _prepare(config, subject, others, names, stride)
            progress(f"{subject.subject}: inputs encoded under {len(settings)} settings")
            continue
        natural, others = client.scatter([subject, others], hash=False)
        for setting, config in settings.items():
            data[(*setting, subject.subject)] = client.submit(
                _prepare, config, natural, others, names, stride, pure=False
            )
    if client is None:
        return scorer(data)
    progress(f"inputs of {len(subjects)} subjects under {len(settings)} settings: encoding")
    return client.submit(scorer, data, pure=False)


def _score_grid(
    scorer: _Scorer | Future,
    grid: Sequence[Candidate],
    client: Client | None,
    progress: Progress,
) -> list[_CandidateScores]:
    """Every candidate's scores, in the grid's order: in this process, or one candidate per
    task on `client` (`scorer` a future there: each worker fetches it once)."""

    def done(k: int, candidate: Candidate, scores: _CandidateScores) -> None:
        mean = np.mean(list(scores[0].values()))
        progress(f"[{k}/{len(grid)}] {candidate.name}: LOSO {mean:.3f}")

    if client is None:
        assert isinstance(scorer, _Scorer)
        out = []
        for k, candidate in enumerate(grid, 1):
            out.append(scorer.candidate_scores(candidate))
            done(k, candidate, out[-1])
        return out
    from distributed import as_completed

    futures = [client.submit(_Scorer.candidate_scores, scorer, c, pure=False) for c in grid]
    index = {future.key: i for i, future in enumerate(futures)}
    for k, (future, scores) in enumerate(as_completed(futures, with_results=True), 1):
        done(k, grid[index[future.key]], scores)
    return client.gather(futures)


def select(
    subjects: Sequence[SubjectWindows],
    config: ModelConfig,
    *,
    train_stride: int = 5,
    shuffled: Callable[[str, int], SubjectWindows] | None = None,
    seeds: int = 1,
    progress: Progress = lambda _: None,
    cluster: ClusterOptions | None = None,
) -> dict[str, Any]:
    """Nested LOSO over every candidate; `config.features` is ignored (all inputs offered),
    both z-score spreads and each of `BASELINE_PHASE_TAUS_S` and `config.baseline_phase_tau_s`
    are offered when the z-scores are against a declared baseline, and the inputs' change
    over each of `CHANGE_LAGS_S` and `config.change_s`.
    `shuffled(subject, seed)` re-assembles a held-out session (seeds 0 … `seeds` - 1).
    With `cluster`, the inputs are encoded and the candidates scored on Dask; the result is
    the same."""
    phase = config.normalise == "baseline-phase"
    z_scales = Z_SCALES if phase else (config.z_scale,)
    taus = (
        tuple(sorted({*BASELINE_PHASE_TAUS_S, config.baseline_phase_tau_s}))
        if phase
        else (config.baseline_phase_tau_s,)
    )
    lags = tuple(sorted({*CHANGE_LAGS_S, config.change_s} - {0.0}))
    settings = {
        (z_scale, lag, tau): dataclasses.replace(
            config, features=(), z_scale=z_scale, change_s=lag, baseline_phase_tau_s=tau
        )
        for z_scale, lag, tau in itertools.product(z_scales, lags, taus)
    }
    labelled = [s for s in subjects if any(s.truth)]
    if len(labelled) < 3:
        raise ValueError("nested leave-one-subject-out needs at least three labelled subjects")
    ids = sorted(s.subject for s in labelled)
    names = _input_names(next(iter(settings.values())), labelled[0])
    hop_s = subjects[0].windows[1].t_end - subjects[0].windows[0].t_end
    alpha = 1.0 - np.exp(-hop_s / config.smoothing_s) if config.smoothing_s > 0 else 1.0
    grid = candidates(names, z_scales, lags, taus)
    with contextlib.ExitStack() as stack:
        client = None
        if cluster is not None and not cluster.in_process(len(grid)):
            client = stack.enter_context(client_for(cluster, len(grid)))
        scorer = _encoded_scorer(
            settings,
            labelled,
            lambda subject: [shuffled(subject, k) for k in range(seeds)] if shuffled else [],
            names,
            train_stride,
            functools.partial(_Scorer, ids=ids, first_lag_s=lags[0], alpha=alpha),
            client,
            progress,
        )
        scored = _score_grid(scorer, grid, client, progress)
    loso = {c.name: by_subject for c, (by_subject, _) in zip(grid, scored, strict=True)}
    # (candidate, left out, scored) → score of a model trained without both subjects
    without_pair = {
        (c.name, *pair): value
        for c, (_, by_pair) in zip(grid, scored, strict=True)
        for pair, value in by_pair.items()
    }
    n_choices = {c.name: c.n_choices for c in grid}
    inner_scores = {
        outer: {c.name: [without_pair[(c.name, outer, i)] for i in ids if i != outer] for c in grid}
        for outer in ids
    }
    overall_scores = {name: [by[s] for s in ids] for name, by in loso.items()}
    overall = {name: float(np.mean(scores)) for name, scores in overall_scores.items()}
    nested = {
        rule: _nested(choose, inner_scores, loso, n_choices)
        for rule, choose in (("best", _best), ("one-se", _one_se))
    }
    return {
        "nested": nested["best"],
        "chosen_on_all_subjects": _best(overall_scores, n_choices),
        "nested_one_se": {
            **nested["one-se"],
            "chosen_on_all_subjects": _one_se(overall_scores, n_choices),
        },
        "loso": dict(sorted(overall.items(), key=lambda kv: -kv[1])),
        "inputs": {c.name: [names[i] for i in c.columns] for c in grid},
        "change_lags_s": list(lags),
        "baseline_phase_taus_s": list(taus),
    }


#: a selection rule: (each candidate's scores over subjects, its optional choices) → its choice
Rule = Callable[[dict[str, list[float]], dict[str, int]], str]


def _best(scores: dict[str, list[float]], n_choices: dict[str, int]) -> str:
    """The candidate with the highest mean score (the first of a tie)."""
    means = {name: float(np.mean(by)) for name, by in scores.items()}
    return max(means, key=means.__getitem__)


def _one_se(scores: dict[str, list[float]], n_choices: dict[str, int]) -> str:
    """The one-standard-error rule: of the candidates whose mean score is within one standard
    error (over subjects) of the best's, the one with the fewest optional choices, the
    higher mean among those."""
    best = scores[_best(scores, n_choices)]
    means = {name: float(np.mean(by)) for name, by in scores.items()}
    floor = np.mean(best) - np.std(best, ddof=1) / np.sqrt(len(best))
    close = [name for name, mean in means.items() if mean >= floor]
    return min(close, key=lambda name: (n_choices[name], -means[name]))


def _nested(
    rule: Rule,
    inner_scores: dict[str, dict[str, list[float]]],
    loso: dict[str, dict[str, float]],
    n_choices: dict[str, int],
) -> dict[str, Any]:
    """Each outer subject's score by the candidate `rule` chooses on its inner folds."""
    folds: dict[str, dict[str, Any]] = {}
    for outer, scores in inner_scores.items():
        chosen = rule(scores, n_choices)
        folds[outer] = {
            "chosen": chosen,
            "inner": float(np.mean(scores[chosen])),
            "outer": loso[chosen][outer],
        }
    outer_scores = [float(fold["outer"]) for fold in folds.values()]
    return {
        "balanced_accuracy_mean": float(np.mean(outer_scores)),
        "balanced_accuracy_ci95": stats.bootstrap_ci(outer_scores),
        "balanced_accuracy_min": float(np.min(outer_scores)),
        "folds": folds,
        "times_chosen": dict(Counter(f["chosen"] for f in folds.values()).most_common()),
    }
