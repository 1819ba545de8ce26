"""Feature windows of a labelled recording, computed once and shared by train and evaluate."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from emostream.datasets.base import LabelledRecording, SamReport
from emostream.datasets.window_table import as_table
from emostream.features.base import FeatureVector
from emostream.labels import LabelConfig, LabelTracker
from emostream.models.encoder import label_windows
from emostream.pipeline.config import PipelineConfig
from emostream.pipeline.launch import run_session
from emostream.pipeline.wearer import WindowResult
from emostream.sources.recording import RecordingSource


@dataclass(slots=True)
class SubjectWindows:
    subject: str
    #: feature vectors in time order; `markers` holds the label markers new in each window
    #: (a `WindowTable` when made by `labelled_windows`)
    windows: Sequence[FeatureVector]
    #: each window's true class (None: not inside a labelled span)
    truth: list[str | None]
    #: the subject's self-reports per condition, on the recording clock
    reports: list[SamReport] = field(default_factory=list)
    #: fingerprint of the subject's input files (see `datasets.cache.fingerprint`)
    fingerprint: str = ""


def attach_markers(windows: list[FeatureVector], markers: list[tuple[float, str]]) -> None:
    """Give each window the markers new since the previous window's end, as the live windower
    does; markers before the first window go to it and markers after the last go to the last."""
    i = 0
    for k, fv in enumerate(windows):
        last = k == len(windows) - 1
        fv.markers = []
        while i < len(markers) and (last or markers[i][0] <= fv.t_end):
            fv.markers.append(markers[i])
            i += 1


def feature_windows(pipeline: PipelineConfig, item: LabelledRecording) -> list[FeatureVector]:
    """Run the recording through the pipeline's windows and extractors (no model), each window
    holding the label markers new in it."""
    windows: list[FeatureVector] = []

    def keep(result: WindowResult) -> None:
        windows.append(result.features)

    # one chunk per hop: the same windows as finer chunks, with far less per-chunk overhead
    source = RecordingSource(item.recording, speed=None, chunk_s=pipeline.window.hop_s)
    run_session(pipeline, [source], mode="process", on_result=keep, subject=item.subject)
    attach_markers(windows, item.markers)
    return windows


def labelled_windows(
    subject: str,
    windows: Sequence[FeatureVector],
    labels: LabelConfig,
    *,
    reports: list[SamReport] | None = None,
    fingerprint: str = "",
) -> SubjectWindows:
    """Each window's true class under `labels`, from the markers the windows hold; the
    windows are held as a `WindowTable`."""
    table = as_table(windows)
    spans = LabelTracker(labels).feed([m for i in sorted(table.markers) for m in table.markers[i]])
    truth = label_windows([tuple(t) for t in table.t.tolist()], spans, labels.min_overlap)
    return SubjectWindows(subject, table, truth, list(reports or []), fingerprint)
