"""Nested leave-one-subject-out selection: the choice for a subject never sees that subject."""

from __future__ import annotations

import copy
import dataclasses
import gc

import numpy as np
import pytest

from emostream.datasets.windows import SubjectWindows
from emostream.evaluation.selection import LEARNERS, _one_se, _Subject, candidates, select

from .conftest import model_config, synthetic_subject

NAMES = ("S1", "S2", "S3", "S4", "S5")


def _with_noise_axis(subject, seed: int):
    """The subject with an uninformative `acc_x_mean_g` input (the acc-axes group)."""
    rng = np.random.default_rng(seed)
    windows = [
        dataclasses.replace(fv, values={**fv.values, "acc_x_mean_g": float(rng.normal())})
        for fv in subject.windows
    ]
    return dataclasses.replace(subject, windows=windows)


def _subjects():
    return [_with_noise_axis(synthetic_subject(n), k) for k, n in enumerate(NAMES)]


@pytest.fixture(scope="module")
def plain() -> dict:
    """The selection over the five subjects, natural order only (made once: it is slow)."""
    return select(_subjects(), model_config())


def test_candidates_cover_every_group_combination_and_learner():
    names = ["eda_scl_us", "hr_bpm", "hrv_rmssd_ms", "acc_x_mean_g", "acc_magnitude_sd_g"]
    grid = candidates(names)
    assert len(grid) == 4 * len(LEARNERS)  # groups present: hrv, acc-axes
    core = {c.name: [names[i] for i in c.columns] for c in grid}
    assert core["lda shrinkage=0.2 + core, z_scale=baseline"] == [
        "eda_scl_us",
        "acc_magnitude_sd_g",
    ]
    assert set(core["lda shrinkage=0.2 + hrv+acc-axes, z_scale=baseline"]) == set(names)


def test_a_change_input_comes_with_its_own_inputs_group():
    names = ["eda_scl_us", "hr_bpm", "hrv_rmssd_ms", "change_eda_scl_us", "change_hr_bpm"]
    grid = {
        c.name: [names[i] for i in c.columns] for c in candidates(names, change_lags_s=(60, 300))
    }
    # groups present: hrv, change; the two combinations with "change" come at each lag
    assert len(grid) == (2 + 2 * 2) * len(LEARNERS)
    for lag in (60, 300):
        assert grid[f"lda shrinkage=0.2 + change, z_scale=baseline, change_s={lag}"] == [
            "eda_scl_us",
            "change_eda_scl_us",
        ]
        assert set(
            grid[f"lda shrinkage=0.2 + hrv+change, z_scale=baseline, change_s={lag}"]
        ) == set(names)
    assert grid["lda shrinkage=0.2 + hrv, z_scale=baseline"] == names[:3]


def test_nested_scores_are_the_chosen_candidates_outer_scores(plain):
    nested = plain["nested"]
    assert set(nested["folds"]) == set(NAMES)
    for fold in nested["folds"].values():
        assert fold["chosen"] in plain["loso"]
        assert 0.0 <= fold["outer"] <= 1.0
    assert nested["balanced_accuracy_mean"] == pytest.approx(
        np.mean([f["outer"] for f in nested["folds"].values()])
    )
    assert plain["chosen_on_all_subjects"] == next(iter(plain["loso"]))
    assert nested["balanced_accuracy_mean"] > 0.8  # SCL and HR separate the synthetic states
    # against a declared baseline, both spreads of the z-scores are candidates
    scales = {name.split("z_scale=")[1].split(",")[0] for name in plain["loso"]}
    assert scales == {"baseline", "session"}
    # and so are the inputs' changes, over each lag offered
    assert plain["change_lags_s"] == [60.0, 120.0, 300.0]
    changes = [
        f"lda shrinkage=0.2 + change, z_scale=baseline, change_s={lag}" for lag in (60, 120, 300)
    ]
    assert all("change_eda_scl_us" in plain["inputs"][name] for name in changes)
    # each lag's candidate is scored on the changes over that lag
    assert len({plain["loso"][name] for name in changes}) == 3
    # and the declared baseline's centre, its plain mean or its recent windows', each scored
    # on its own z-scores
    assert plain["baseline_phase_taus_s"] == [0.0, 60.0]
    centres = [
        f"lda shrinkage=0.2 + core, z_scale=baseline{tau}"
        for tau in ("", ", baseline_phase_tau_s=60")
    ]
    assert plain["loso"][centres[0]] != plain["loso"][centres[1]]
    # the one-standard-error rule scores its own choices the same way
    one_se = plain["nested_one_se"]
    assert set(one_se["folds"]) == set(NAMES)
    assert one_se["balanced_accuracy_mean"] == pytest.approx(
        np.mean([f["outer"] for f in one_se["folds"].values()])
    )
    names = sorted({name for inputs in plain["inputs"].values() for name in inputs})
    grid = candidates(names, ("baseline", "session"), plain["change_lags_s"],
                      plain["baseline_phase_taus_s"])  # fmt: skip
    n_choices = {c.name: c.n_choices for c in grid}
    assert set(n_choices) == set(plain["loso"])
    for subject, fold in one_se["folds"].items():
        best = nested["folds"][subject]
        assert fold["inner"] <= best["inner"]
        assert n_choices[fold["chosen"]] <= n_choices[best["chosen"]]
    assert one_se["chosen_on_all_subjects"] in plain["loso"]


def test_the_one_standard_error_rule_takes_the_fewest_choices_close_to_the_best():
    # "a": mean 0.9, standard error 0.058 → the floor is 0.842
    scores = {"a": [0.9, 0.8, 1.0], "b": [0.86, 0.86, 0.86], "c": [0.84, 0.84, 0.84]}
    assert _one_se(scores, {"a": 3, "b": 1, "c": 0}) == "b"  # "c" is below the floor
    assert _one_se(scores, {"a": 1, "b": 1, "c": 0}) == "a"  # a tie: the higher mean
    assert _one_se(scores, {"a": 0, "b": 1, "c": 0}) == "a"


def test_a_subjects_own_data_never_changes_its_fold_choice(plain):
    subjects = _subjects()
    # S3's labels swap stress and amusement: its own scores change, its fold's choice may not
    swap = {"stress": "amusement", "amusement": "stress"}
    s3 = subjects[2]
    subjects[2] = dataclasses.replace(s3, truth=[swap.get(t, t) for t in s3.truth])
    changed = select(subjects, model_config())
    assert changed["loso"] != plain["loso"]  # the swap is visible to S3's own scores
    fold, before = changed["nested"]["folds"]["S3"], plain["nested"]["folds"]["S3"]
    assert fold["chosen"] == before["chosen"]
    assert fold["inner"] == pytest.approx(before["inner"])


def test_shuffled_sessions_count_in_every_subjects_score(plain):
    subjects = _subjects()
    by_name = {s.subject: s for s in subjects}
    same = select(subjects, model_config(), shuffled=lambda name, seed: by_name[name], seeds=2)
    assert same["loso"] == pytest.approx(plain["loso"])
    swap = {"stress": "amusement", "amusement": "stress"}

    def swapped(name: str, seed: int):
        s = by_name[name]
        return dataclasses.replace(s, truth=[swap.get(t, t) for t in s.truth])

    changed = select(subjects, model_config(), shuffled=swapped)
    assert all(changed["loso"][name] < plain["loso"][name] for name in plain["loso"])


def test_the_pipelines_own_baseline_centre_joins_those_offered():
    # without the noise axis, half the candidates: enough to see which centres are offered
    subjects = [synthetic_subject(n) for n in NAMES[:3]]
    result = select(subjects, model_config(baseline_phase_tau_s=120.0))
    assert result["baseline_phase_taus_s"] == [0.0, 60.0, 120.0]
    assert "lda shrinkage=0.2 + core, z_scale=session, baseline_phase_tau_s=120" in result["loso"]


def test_the_pipelines_own_lag_joins_the_lags_offered():
    subjects = [synthetic_subject(n) for n in NAMES[:3]]
    result = select(subjects, model_config(change_s=90.0))
    assert result["change_lags_s"] == [60.0, 90.0, 120.0, 300.0]
    assert "lda shrinkage=0.2 + change, z_scale=baseline, change_s=90" in result["loso"]


def test_candidates_scored_on_a_dask_cluster_give_the_same_result(dask_scheduler):
    from emostream.cluster import ClusterOptions

    subjects = _subjects()[:4]
    by_name = {s.subject: s for s in subjects}
    lines: list[str] = []
    serial = select(subjects, model_config(), shuffled=lambda name, seed: by_name[name])
    parallel = select(
        subjects,
        model_config(),
        shuffled=lambda name, seed: by_name[name],
        progress=lines.append,
        cluster=ClusterOptions(scheduler=dask_scheduler),
    )
    assert parallel == serial
    # one progress line per candidate, however the workers finish
    scored = [line.split("] ")[1].split(":")[0] for line in lines if line.startswith("[")]
    assert sorted(scored) == sorted(serial["loso"])


def _alive(kind: type, test=lambda _: True) -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, kind) and test(o))


def test_on_a_cluster_one_subjects_reordered_sessions_are_held_at_a_time_and_inputs_stay_remote(
    dask_scheduler,
):
    from emostream.cluster import ClusterOptions

    subjects = _subjects()[:3]
    by_name = {s.subject: s for s in subjects}
    held_before_each: list[int] = []
    inputs_held_while_scoring: list[int] = []

    def reordered(session) -> bool:
        return isinstance(session, SubjectWindows) and session.fingerprint == "reordered"

    def shuffled(name: str, seed: int):
        held_before_each.append(_alive(SubjectWindows, reordered))
        return dataclasses.replace(copy.deepcopy(by_name[name]), fingerprint="reordered")

    def progress(line: str) -> None:
        if line.startswith("[1/"):
            inputs_held_while_scoring.append(_alive(_Subject))

    cluster = ClusterOptions(scheduler=dask_scheduler)
    select(subjects, model_config(), shuffled=shuffled, seeds=2, progress=progress, cluster=cluster)
    # before each subject's first session, none of the subject before is held any more
    assert held_before_each == [0, 1] * len(subjects)
    assert inputs_held_while_scoring == [0]
