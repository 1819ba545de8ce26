"""Synthetic wearers on the live console, on a background thread: for tests, benchmarks and
screenshots.

Each wearer is the demo pipeline on its own synthetic source, with a `DashboardSink` (and
optionally a recorder); all run in one event loop, as one process hosts many wearers.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, replace
from pathlib import Path

from emostream.dashboard.server import DashboardServer
from emostream.dashboard.sink import DashboardSink
from emostream.models.online import OnlineStateModel
from emostream.pipeline.build import build_model
from emostream.pipeline.config import load_pipeline
from emostream.pipeline.launch import SessionResult, run_session_async
from emostream.profiles import load_profile
from emostream.sinks.base import Sink
from emostream.sinks.recorder import RecorderSink
from emostream.sources.synthetic import PROFILE_NAME, SyntheticWearerSource


@dataclass
class ConsoleWearer:
    sink: DashboardSink
    model: OnlineStateModel | None
    source: SyntheticWearerSource
    recorder: RecorderSink | None


class ConsoleSession:
    """`n_wearers` synthetic wearers through `pipeline`, each registered with `server`.

    Without `phase_markers` the wearers send no phase markers, so the model learns only from
    what the pages write; `leave_out` names stream kinds the wearers do not send."""

    def __init__(
        self,
        server: DashboardServer,
        *,
        n_wearers: int = 1,
        pipeline: str = "demo",
        speed: float | None = 30.0,
        duration_s: float = 3600.0,
        phase_markers: bool = True,
        leave_out: tuple[str, ...] = (),
        record_dir: Path | None = None,
        lsl_prefix: str | None = None,
    ):
        config = load_pipeline(pipeline)
        if lsl_prefix is not None:
            config = replace(config, outputs=replace(config.outputs, lsl_prefix=lsl_prefix))
        self.config = config
        kinds = tuple(
            s.kind
            for s in load_profile(PROFILE_NAME).stream_specs("x")
            if (phase_markers or not s.is_event_markers) and s.kind not in leave_out
        )
        self.wearers: list[ConsoleWearer] = []
        for k in range(n_wearers):
            model = build_model(config, None)
            recorder = None
            if record_dir is not None:
                recorder = RecorderSink.from_config(
                    config.record, live=False, root=record_dir, subject=f"S{k + 1:02d}"
                )
            sink = server.sink_for(
                f"S{k + 1:02d}",
                config,
                model=model,
                recorder=recorder,
                publish_lsl=lsl_prefix is not None,
            )
            source = SyntheticWearerSource(
                seed=k + 1, duration_s=duration_s, speed=speed, kinds=kinds
            )
            self.wearers.append(ConsoleWearer(sink, model, source, recorder))
        self.results: list[SessionResult] = []
        self.error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=self._run, name="console-session", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def join(self, timeout_s: float | None = None) -> bool:
        """Wait for the sources to end; True when they did."""
        self._thread.join(timeout_s)
        return not self._thread.is_alive()

    def stop(self, timeout_s: float = 30.0) -> None:
        """End every source now (the sessions close, recordings are finalised) and wait."""
        loop = self._loop
        if loop is not None and self._thread.is_alive():
            for wearer in self.wearers:
                asyncio.run_coroutine_threadsafe(wearer.source.aclose(), loop)
        self._thread.join(timeout_s)

    def _run(self) -> None:
        try:
            self.results = asyncio.run(self._main())
        except BaseException as exc:  # reported to the caller through `error`
            self.error = exc

    async def _main(self) -> list[SessionResult]:
        self._loop = asyncio.get_running_loop()
        runs = []
        for k, wearer in enumerate(self.wearers):
            sinks: list[Sink] = [wearer.sink, *([wearer.recorder] if wearer.recorder else [])]
            runs.append(
                run_session_async(
                    self.config,
                    [wearer.source, wearer.sink.inbox],
                    mode="demo",
                    model=wearer.model,
                    sinks=sinks,
                    subject=f"S{k + 1:02d}",
                )
            )
        return list(await asyncio.gather(*runs))
