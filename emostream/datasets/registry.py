"""Dataset formats by `--format` name, and computing every subject's feature windows."""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from emostream.errors import UsageError
from emostream.models.config import ModelConfig
from emostream.pipeline.config import PipelineConfig, load_pipeline

if TYPE_CHECKING:
    from emostream.datasets.windows import SubjectWindows

#: --format name -> module under emostream.datasets
DATASETS = {"stress-predict": "stress_predict", "wesad": "wesad"}
#: the bundled pipeline for each dataset when --pipeline is not given
DEFAULT_PIPELINE = {"stress-predict": "e4-wrist", "wesad": "e4-wrist"}


def prepare(
    root: Path,
    fmt: str,
    *,
    pipeline: str | None = None,
    subjects: Sequence[str] = (),
    progress: Callable[[str], None] = lambda _: None,
) -> tuple[PipelineConfig, ModelConfig, list[SubjectWindows]]:
    """Pipeline, model config (the pipeline's [model] with the dataset's labels) and the
    feature windows of each requested subject (all when `subjects` is empty)."""
    if fmt not in DATASETS:
        raise UsageError(f"unknown dataset format '{fmt}' (known: {', '.join(DATASETS)})")
    if not root.is_dir():
        raise UsageError(f"{root}: dataset folder not found")
    module = importlib.import_module(f"emostream.datasets.{DATASETS[fmt]}")
    dataset = module.open_dataset(root)
    wanted = list(subjects) or list(dataset.subjects)
    unknown = sorted(set(wanted) - set(dataset.subjects))
    if unknown:
        raise UsageError(
            f"{root}: no subject(s) {', '.join(unknown)} (found: {', '.join(dataset.subjects)})"
        )
    from emostream.datasets.windows import subject_windows  # runs the feature pipeline

    config = load_pipeline(pipeline or DEFAULT_PIPELINE[fmt])
    model_config = ModelConfig.from_tables(config.model_tables, dataset.labels, file=config.path)
    model_config = dataclasses.replace(model_config, baseline_phase=dataset.baseline_phase)
    out = []
    for k, subject in enumerate(wanted, 1):
        progress(f"[{k}/{len(wanted)}] {subject}: computing features")
        item = module.load_subject(root, subject)
        out.append(subject_windows(config, item, model_config.labels))
    return config, model_config, out


def shuffled_windows(
    root: Path, fmt: str, pipeline: PipelineConfig, model_config: ModelConfig
) -> Callable[[str, int], SubjectWindows]:
    """`(subject, seed) -> windows` of the subject's session re-assembled in a random segment
    order (the declared baseline first), computed by the pipeline like a recording."""
    from emostream.datasets.windows import subject_windows
    from emostream.evaluation.reorder import reassemble

    module = importlib.import_module(f"emostream.datasets.{DATASETS[fmt]}")

    def windows(subject: str, seed: int) -> SubjectWindows:
        item = reassemble(
            module.load_subject(root, subject),
            model_config.labels,
            model_config.baseline_phase,
            seed,
        )
        return subject_windows(pipeline, item, model_config.labels)

    return windows
