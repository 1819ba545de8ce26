"""Dataset formats by `--format` name, and computing (or reading cached) every subject's
feature windows."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import inspect
import json
import pickle
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from emostream.cluster import SERIAL, ClusterOptions, Outcome, map_named
from emostream.core.registry import Registry, UnknownNameError
from emostream.datasets import cache
from emostream.datasets.window_table import WindowTable
from emostream.errors import RecordingError, UsageError
from emostream.models.config import ModelConfig
from emostream.pipeline.config import PipelineConfig, load_pipeline

if TYPE_CHECKING:
    from emostream.datasets.base import Dataset, LabelledRecording, SamReport
    from emostream.datasets.windows import SubjectWindows

#: --format name -> its module (imported on first use)
DATASETS: Registry[ModuleType] = Registry("dataset format")
DATASETS.lazy("stress-predict", "emostream.datasets.stress_predict")
DATASETS.lazy("wesad", "emostream.datasets.wesad")
#: the bundled pipeline for each dataset when --pipeline is not given: Stress-Predict's
#: protocol has one of its own, chosen by the same nested selection on its subjects
DEFAULT_PIPELINE = {"stress-predict": "e4-wrist-stress-predict", "wesad": "e4-wrist"}
#: label sets with a bundled pipeline of their own: inputs chosen under that label set by the
#: same nested selection (docs/evaluation.md)
LABEL_SET_PIPELINE = {("wesad", "3class"): "e4-wrist-3class"}


def default_pipeline(fmt: str, label_set: str | None = None) -> str:
    """The bundled pipeline for a dataset layout and label set (its default when None)."""
    label_set = label_set or DATASETS.get(fmt).DEFAULT_LABEL_SET
    return LABEL_SET_PIPELINE.get((fmt, label_set), DEFAULT_PIPELINE[fmt])


def open_dataset(
    root: Path, fmt: str, *, label_set: str | None = None, trust_pickle: bool = False
) -> Dataset:
    """The dataset of layout `fmt` at `root`, with the chosen label set."""
    try:
        module = DATASETS.get(fmt)
    except UnknownNameError as exc:
        raise UsageError(str(exc)) from None
    if not root.is_dir():
        raise UsageError(f"{root}: dataset folder not found")
    options: dict[str, object] = {"label_set": label_set or module.DEFAULT_LABEL_SET}
    if trust_pickle:
        if "trust_pickle" not in inspect.signature(module.open_dataset).parameters:
            raise UsageError(f"--trust-pickle does not apply to --format {fmt} (it has no pickles)")
        options["trust_pickle"] = True
    return module.open_dataset(root, **options)


def prepare(
    root: Path,
    fmt: str,
    *,
    pipeline: str | None = None,
    subjects: Sequence[str] = (),
    label_set: str | None = None,
    trust_pickle: bool = False,
    cache_dir: Path | None = None,
    use_cache: bool = True,
    progress: Callable[[str], None] = lambda _: None,
    cluster: ClusterOptions = SERIAL,
) -> tuple[PipelineConfig, ModelConfig, list[SubjectWindows]]:
    """Pipeline, model config (the pipeline's [model] with the dataset's label set) and the
    feature windows of each requested subject (all when `subjects` is empty).

    Windows are read from the feature cache (`cache_dir`, default `cache.default_dir()`) when
    an entry was computed with the same pipeline config, emostream code and input files;
    otherwise they are computed and stored there (unless `use_cache` is False). Subjects
    are computed on `cluster` (default: one after the other in this process).
    """
    dataset = open_dataset(root, fmt, label_set=label_set, trust_pickle=trust_pickle)
    wanted = list(subjects) or list(dataset.subjects)
    unknown = sorted(set(wanted) - set(dataset.subjects))
    if unknown:
        raise UsageError(
            f"{root}: no subject(s) {', '.join(unknown)} (found: {', '.join(dataset.subjects)})"
        )
    from emostream.datasets.windows import labelled_windows

    config = load_pipeline(pipeline or default_pipeline(fmt, label_set))
    model_config = ModelConfig.from_tables(config.model_tables, dataset.labels, file=config.path)
    model_config = dataclasses.replace(model_config, baseline_phase=dataset.baseline_phase)
    folder = cache_dir or cache.default_dir()
    tasks = [
        (
            subject,
            _SubjectTask(
                CacheSlot(
                    folder if use_cache else None,
                    fmt,
                    root,
                    subject,
                    cache.fingerprint(dataset.inputs[subject]),
                ),
                config,
                dataset,
            ),
        )
        for subject in wanted
    ]
    outcomes = map_named(_subject_windows, tasks, cluster, what="subjects")
    raise_failed(outcomes, "subject")
    out = []
    for k, ((subject, task), outcome) in enumerate(zip(tasks, outcomes, strict=True), 1):
        windows, reports, notes = outcome.value  # type: ignore[misc]
        for note in notes:
            progress(f"[{k}/{len(wanted)}] {subject}: {note}")
        out.append(
            labelled_windows(
                subject,
                windows,
                model_config.labels,
                reports=reports,
                fingerprint=task.slot.fingerprint,
            )
        )
    return config, model_config, out


def raise_failed(outcomes: Sequence[Outcome[Any]], what: str) -> None:
    """One RecordingError naming every item that failed, after all of them ran."""
    failed = [f"{o.name}: {o.error}" for o in outcomes if o.error is not None]
    if failed:
        raise RecordingError(
            f"{len(failed)} {what}(s) failed (the others' features are cached):\n  "
            + "\n  ".join(failed)
        )


@dataclasses.dataclass(frozen=True, slots=True)
class _SubjectTask:
    """One subject's feature windows to compute or read from the cache (picklable)."""

    slot: CacheSlot
    pipeline: PipelineConfig
    dataset: Dataset


def _subject_windows(
    task: _SubjectTask,
) -> tuple[WindowTable, list[SamReport], list[str]]:
    """The windows and reports of one subject, and the progress notes of getting them."""
    notes: list[str] = []
    windows, reports = cached_windows(
        task.slot,
        task.pipeline,
        functools.partial(task.dataset.load, task.slot.name),
        notes.append,
    )
    return windows, reports, notes


@dataclasses.dataclass(frozen=True, slots=True)
class CacheSlot:
    """Where one subject's windows are cached (`folder` None: no cache)."""

    folder: Path | None
    fmt: str
    root: Path
    name: str
    fingerprint: str


def cached_windows(
    slot: CacheSlot,
    pipeline: PipelineConfig,
    load: Callable[[], LabelledRecording],
    progress: Callable[[str], None],
) -> tuple[WindowTable, list[SamReport]]:
    """A subject's feature windows and reports, from the cache or computed (and stored)."""
    from emostream.datasets.windows import feature_windows

    if slot.folder is None:
        progress("computing features")
        item = load()
        return WindowTable.from_vectors(feature_windows(pipeline, item)), item.reports
    key = cache.cache_key(pipeline.features_hash, slot.fingerprint)
    entry = cache.entry_path(slot.folder, slot.fmt, slot.root, slot.name, pipeline.features_hash)
    try:
        found = cache.load(entry, key)
        progress("cached")
        return found
    except cache.CacheMiss as miss:
        note = "" if miss.reason == "not cached" else f" (cache entry {miss.reason})"
    progress(f"computing features{note}")
    item = load()
    computed = WindowTable.from_vectors(feature_windows(pipeline, item)), item.reports
    try:
        cache.save(entry, key, *computed)
    except OSError as exc:
        progress(f"cannot write the feature cache {entry}: {exc.strerror}")
    return computed


def shuffled_windows(
    dataset: Dataset,
    root: Path,
    fmt: str,
    pipeline: PipelineConfig,
    model_config: ModelConfig,
    *,
    cache_dir: Path | None = None,
    use_cache: bool = True,
    progress: Callable[[str], None] = lambda _: None,
) -> Callable[[str, int], SubjectWindows]:
    """`(subject, seed) -> windows` of the subject's session re-assembled in a random segment
    order (the declared baseline first), computed by the pipeline like a recording and
    cached like the natural order (keyed also by the seed, baseline phase and label set)."""
    from emostream.datasets.reorder import reassemble
    from emostream.datasets.windows import labelled_windows

    labels = model_config.labels
    variant = json.dumps(
        [model_config.baseline_phase, list(labels.classes), sorted(labels.map.items())]
    )
    folder = (cache_dir or cache.default_dir()) if use_cache else None

    def windows(subject: str, seed: int) -> SubjectWindows:
        fingerprint = cache.fingerprint(dataset.inputs[subject])
        slot = CacheSlot(
            folder,
            fmt,
            root,
            f"{subject}-shuffled{seed}-{hashlib.sha256(variant.encode()).hexdigest()[:8]}",
            f"{fingerprint}:shuffled:{seed}:{variant}",
        )
        computed, _ = cached_windows(
            slot,
            pipeline,
            lambda: reassemble(dataset.load(subject), labels, model_config.baseline_phase, seed),
            lambda message: progress(f"{subject} shuffled (seed {seed}): {message}"),
        )
        return labelled_windows(subject, computed, labels, fingerprint=fingerprint)

    return windows


def prefetched(
    shuffled: Callable[[str, int], SubjectWindows],
    keys: Sequence[tuple[str, int]],
    cluster: ClusterOptions,
) -> Callable[[str, int], SubjectWindows]:
    """`shuffled` with the sessions of `keys` (subject, seed) computed up front on `cluster`
    (those of other keys are computed when asked for). The workers hand each session back
    pickled, and it is held so until asked for (each time as a new copy): as objects, a
    window's seven small dicts take about six times the room."""
    outcomes = map_named(
        _pickled_shuffled,
        [
            (f"{subject} shuffled (seed {seed})", (shuffled, subject, seed))
            for subject, seed in keys
        ],
        cluster,
        what="shuffled sessions",
    )
    raise_failed(outcomes, "shuffled session")
    table = {key: outcome.value for key, outcome in zip(keys, outcomes, strict=True)}

    def windows(subject: str, seed: int) -> SubjectWindows:
        found = table.get((subject, seed))
        return pickle.loads(found) if found is not None else shuffled(subject, seed)

    return windows


def _pickled_shuffled(item: tuple[Callable[[str, int], SubjectWindows], str, int]) -> bytes:
    shuffled, subject, seed = item
    return pickle.dumps(shuffled(subject, seed), protocol=pickle.HIGHEST_PROTOCOL)
