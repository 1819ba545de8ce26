"""The Python API: read recordings, build pipelines, process them into DataFrames, run live.

>>> import emostream as es
>>> recording = es.simulate(duration_s=180, seed=3)
>>> sorted(recording.streams)
['ecg', 'eda', 'eeg', 'markers', 'ppg', 'rsp', 'temp']
>>> pipeline = es.Pipeline(
...     window={"length_s": 60.0, "hop_s": 10.0},
...     features=["hrv", "eda"],
...     model={"learner": "logistic"},
...     labels={"classes": ["calm", "stress", "amusement"], "map": {"baseline": "calm"}},
... )
>>> features, predictions = pipeline.process(recording)
>>> features["t_end"].tolist() == predictions["t_end"].tolist()
True
>>> features["t_end"].iloc[[0, 1, -1]].tolist()  # 60 s windows every 10 s, within 180 s
[60.0, 70.0, 170.0]
>>> {"t_start", "t_end", "hr_bpm", "eda_scl_us"} <= set(features.columns)
True
>>> {"t_end", "state", "p_calm", "p_stress", "confidence"} <= set(predictions.columns)
True

`process` is synchronous and works inside a running event loop (Jupyter): it then runs in a
worker thread with its own loop. `run` is the asynchronous, live counterpart.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from emostream.formats.base import Recording
from emostream.pipeline.config import PipelineConfig, load_pipeline, parse_pipeline

if TYPE_CHECKING:
    import pandas as pd

    from emostream.models.online import OnlineStateModel
    from emostream.sinks.base import Sink
    from emostream.sources.base import Source
    from emostream.synth.protocol import Protocol

T = TypeVar("T")


def _blocking(call: Callable[[], T]) -> T:
    """`call()` here, or in a worker thread when this thread runs an event loop (which a
    nested `asyncio.run` would refuse)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return call()
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as worker:
        return worker.submit(call).result()


def read(path: str | Path, format: str | None = None, **options: Any) -> Recording:
    """Read a recording in any supported format (detected unless `format` is given):
    emostream sessions, XDF, E4 export folders, EDF/BDF, WFDB, WAV, NeuroKit-style CSV
    (`fs_hz=...`). Timestamps are checked and salvaged as `emostream process` does."""
    from emostream.formats.registry import read_recording

    return read_recording(path, format, **options)[1]


def simulate(
    duration_s: float | None = None, *, seed: int = 1, protocol: str | Protocol | None = None
) -> Recording:
    """The synthetic wearer as an in-memory Recording (streams keyed by kind, with the phase
    markers). `protocol` is a Protocol or text such as "baseline:120,stress:120"; the
    default is the scripted baseline/stress/recovery/amusement protocol once."""
    from emostream.commands.simulate import parse_protocol
    from emostream.sources.recording import collect
    from emostream.sources.synthetic import SyntheticWearerSource

    if isinstance(protocol, str):
        protocol = parse_protocol(protocol)
    source = SyntheticWearerSource(seed=seed, duration_s=duration_s, protocol=protocol)
    return _blocking(lambda: asyncio.run(collect(source)))


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    from emostream.core.arrow import table_from_rows

    return table_from_rows(rows).to_pandas()


class Pipeline:
    """Windows, feature extractors and (optionally) an online model, as in a pipeline TOML.

    `Pipeline(window=..., features=..., model=..., labels=..., sources=...)` takes the tables
    of a pipeline file as Python values (`features` may be a list of extractor names), and is
    validated exactly as a file is. The model learns across calls: `process` one labelled
    recording, then another, as `emostream process --model` does with a model file.
    """

    def __init__(
        self,
        *,
        window: Mapping[str, Any] | None = None,
        features: Mapping[str, Mapping[str, Any]] | Iterable[str] = (),
        model: Mapping[str, Any] | None = None,
        labels: Mapping[str, Any] | None = None,
        sources: Sequence[Mapping[str, Any]] = (),
        name: str = "python",
    ):
        tables = features if isinstance(features, Mapping) else {f: {} for f in features}
        raw: dict[str, Any] = {
            "pipeline": {"name": name},
            "window": dict(window or {}),
            "features": {key: dict(value) for key, value in tables.items()},
        }
        if sources:
            raw["sources"] = [dict(source) for source in sources]
        if model is not None:
            raw["model"] = dict(model)
        if labels is not None:
            raw["labels"] = dict(labels)
        self._init(parse_pipeline(raw))

    def _init(self, config: PipelineConfig) -> None:
        self.config = config
        self.model: OnlineStateModel | None = None

    @classmethod
    def from_toml(cls, name_or_path: str | Path) -> Pipeline:
        """A pipeline file, or a pipeline's name (./pipelines first, then the bundled ones)."""
        pipeline = cls.__new__(cls)
        pipeline._init(load_pipeline(name_or_path))
        return pipeline

    def load_model(self, path: str | Path, *, trust_pickle: bool = False) -> None:
        """Go on from a model file (`emostream train`, `run --model`) made for this pipeline;
        a pickled file is read only with `trust_pickle` (see docs/models.md)."""
        from emostream.pipeline.build import build_model, check_model_path

        check_model_path(Path(path), read=True, write=False)
        self.model = build_model(self.config, Path(path), trust_model_file=trust_pickle)

    def save_model(self, path: str | Path) -> None:
        """Write the model as `emostream run --model` does (data only, unless the pipeline's
        `[model] allow_pickle` is set)."""
        from emostream.errors import UsageError

        if self.model is None:
            raise UsageError("no model to save yet: this pipeline has no [model] or has not run")
        self.model.save(path)

    def _model(self) -> OnlineStateModel | None:
        from emostream.pipeline.build import build_model

        if self.model is None:
            self.model = build_model(self.config, None)
        elif self.model.pending or self.model.counters.n_predicted:
            self.model.new_session()  # each recording or run is a new session
        return self.model

    def process(self, recording: Recording | str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(features, predictions) of a recording (or a path to one), as fast as the CPU
        allows: one row per window, in the columns of `emostream process`. Predictions are
        empty when the pipeline has no model; a recording that none of the extractors can
        read is refused (UsageError), as `emostream process` refuses it."""
        from emostream.cohort import check_inputs
        from emostream.pipeline.process import process_recording

        name = "recording"
        if not isinstance(recording, Recording):
            name = str(recording)
            recording = read(recording)
        given = recording
        check_inputs(self.config, given, name)
        model = self._model()
        result = _blocking(
            lambda: process_recording(self.config, given, model=model, progress=False)
        )
        predictions = result.predictions
        features = result.features.to_pandas()
        return features, predictions.to_pandas() if predictions is not None else _frame([])

    async def run(
        self,
        sources: Sequence[Source] | None = None,
        sinks: Sequence[Sink] = (),
        *,
        duration_s: float | None = None,
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Run live until the sources end or `duration_s` of wall time passes; every window
        goes to `sinks` as it closes. Without `sources`, the pipeline's `[[sources]]` are
        opened. Returns (features, predictions) of the whole run."""
        from emostream.pipeline.build import build_live_sources
        from emostream.pipeline.launch import run_session_async

        live = build_live_sources(self.config) if sources is None else sources
        result = await run_session_async(
            self.config, live, mode="live", model=self._model(), sinks=sinks, duration_s=duration_s
        )
        return _frame(result.feature_rows), _frame(result.prediction_rows)
