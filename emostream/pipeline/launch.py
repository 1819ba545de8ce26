"""Run one session end to end: build the wearer's pipeline and sinks, run, collect the rows."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from emostream.core.session import SessionInfo
from emostream.pipeline.build import all_specs
from emostream.pipeline.config import PipelineConfig
from emostream.pipeline.runner import Wearer, run_wearers
from emostream.pipeline.wearer import WearerPipeline, WindowResult
from emostream.sinks.base import Sink
from emostream.sources.base import Source

if TYPE_CHECKING:
    from emostream.models.online import OnlineStateModel


@dataclass
class SessionResult:
    info: SessionInfo
    feature_rows: list[dict[str, Any]] = field(default_factory=list)
    prediction_rows: list[dict[str, Any]] = field(default_factory=list)
    markers_out: list[tuple[float, str]] = field(default_factory=list)
    pipeline: WearerPipeline | None = None
    wearer: Wearer | None = None


def run_session(
    config: PipelineConfig,
    sources: Sequence[Source],
    *,
    mode: str,
    model: OnlineStateModel | None = None,
    sinks: Sequence[Sink] = (),
    make_sinks: Callable[[WearerPipeline, SessionInfo], Sequence[Sink]] | None = None,
    subject: str = "anon",
    session_n: int = 1,
    on_result: Callable[[WindowResult], None] | None = None,
    handle_signals: bool = False,
    duration_s: float | None = None,
) -> SessionResult:
    """`run_session_async` in a new event loop."""
    return asyncio.run(
        run_session_async(
            config,
            sources,
            mode=mode,
            model=model,
            sinks=sinks,
            make_sinks=make_sinks,
            subject=subject,
            session_n=session_n,
            on_result=on_result,
            handle_signals=handle_signals,
            duration_s=duration_s,
        )
    )


async def run_session_async(
    config: PipelineConfig,
    sources: Sequence[Source],
    *,
    mode: str,
    model: OnlineStateModel | None = None,
    sinks: Sequence[Sink] = (),
    make_sinks: Callable[[WearerPipeline, SessionInfo], Sequence[Sink]] | None = None,
    subject: str = "anon",
    session_n: int = 1,
    on_result: Callable[[WindowResult], None] | None = None,
    handle_signals: bool = False,
    duration_s: float | None = None,
) -> SessionResult:
    """Run `sources` through the pipeline until they end, `duration_s` of wall time has
    passed, or (with `handle_signals`) Ctrl-C / SIGTERM arrives."""
    specs = all_specs(sources)
    pipeline = WearerPipeline(config.window, specs, config.features, model=model)
    info = SessionInfo(
        pipeline_name=config.meta.name,
        config_hash=config.config_hash,
        config=config.raw,
        mode=mode,
        subject=subject,
        session=session_n,
        model_version=model.model_version if model is not None else "",
        streams=tuple(specs),
    )
    all_sinks = [*sinks, *(make_sinks(pipeline, info) if make_sinks else ())]
    pipeline.sinks = all_sinks
    result = SessionResult(info, pipeline=pipeline)

    def collect(window: WindowResult) -> None:
        result.feature_rows.append(window.features.row())
        if window.prediction is not None:
            result.prediction_rows.append(dict(window.prediction))
        result.markers_out.extend((window.features.t_end, m) for m in window.markers)
        if on_result is not None:
            on_result(window)

    wearer = Wearer(sources, pipeline, collect)
    result.wearer = wearer
    for sink in all_sinks:
        sink.open(info)
    try:
        await _run(wearer, handle_signals, duration_s)
    finally:
        for sink in all_sinks:
            sink.close()
    return result


async def _run(wearer: Wearer, handle_signals: bool, duration_s: float | None) -> None:
    stop = asyncio.Event()
    if duration_s is not None:
        asyncio.get_running_loop().call_later(duration_s, stop.set)
    if handle_signals:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
    await run_wearers([wearer], stop)
