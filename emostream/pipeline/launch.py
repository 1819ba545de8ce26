"""Run sessions end to end, one per wearer in one event loop: build each wearer's pipeline
and sinks, run, collect the rows."""

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
    """One wearer's session: its info, the rows kept, its pipeline, wearer and sinks. The
    rows stay out of its repr, which asyncio computes as a run ends (Python 3.11's
    `signal.getsignal` formats the main task, result included)."""

    info: SessionInfo
    feature_rows: list[dict[str, Any]] = field(default_factory=list, repr=False)
    prediction_rows: list[dict[str, Any]] = field(default_factory=list, repr=False)
    markers_out: list[tuple[float, str]] = field(default_factory=list, repr=False)
    pipeline: WearerPipeline | None = None
    wearer: Wearer | None = None
    sinks: list[Sink] = field(default_factory=list)


@dataclass
class WearerRun:
    """One wearer of a run: sources, model, sinks (given, or made once the pipeline exists),
    subject and a callback for each window. With `keep_rows`, every window's features,
    prediction and markers are also kept in the `SessionResult` (process mode and the Python
    API read them there); a live run that hands them only to its sinks keeps none, so its
    memory does not grow with its length."""

    sources: Sequence[Source]
    model: OnlineStateModel | None = None
    sinks: Sequence[Sink] = ()
    make_sinks: Callable[[WearerPipeline, SessionInfo], Sequence[Sink]] | None = None
    subject: str = "anon"
    session_n: int = 1
    on_result: Callable[[WindowResult], None] | None = None
    keep_rows: bool = True


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
    wearer = WearerRun(sources, model, sinks, make_sinks, subject, session_n, on_result)
    return run_sessions(
        config, [wearer], mode=mode, handle_signals=handle_signals, duration_s=duration_s
    )[0]


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
    """Run `sources` through the pipeline: one wearer of `run_sessions_async`."""
    wearer = WearerRun(sources, model, sinks, make_sinks, subject, session_n, on_result)
    results = await run_sessions_async(
        config, [wearer], mode=mode, handle_signals=handle_signals, duration_s=duration_s
    )
    return results[0]


def run_sessions(
    config: PipelineConfig | Sequence[PipelineConfig],
    wearers: Sequence[WearerRun],
    *,
    mode: str,
    handle_signals: bool = False,
    duration_s: float | None = None,
) -> list[SessionResult]:
    """`run_sessions_async` in a new event loop."""
    return asyncio.run(
        run_sessions_async(
            config, wearers, mode=mode, handle_signals=handle_signals, duration_s=duration_s
        )
    )


async def run_sessions_async(
    config: PipelineConfig | Sequence[PipelineConfig],
    wearers: Sequence[WearerRun],
    *,
    mode: str,
    handle_signals: bool = False,
    duration_s: float | None = None,
) -> list[SessionResult]:
    """Run every wearer's session in this event loop until all their sources end,
    `duration_s` of wall time has passed, or (with `handle_signals`) Ctrl-C / SIGTERM
    arrives. `config` is the pipeline, or one per wearer (the same pipeline on each wearer's
    own sources). A wearer whose sources fail or end does not stop the others."""
    configs = [config] * len(wearers) if isinstance(config, PipelineConfig) else list(config)
    results = [_prepare(c, w, mode) for c, w in zip(configs, wearers, strict=True)]
    opened: list[Sink] = []
    try:
        for result in results:
            for sink in result.sinks:
                sink.open(result.info)
                opened.append(sink)
        await _run([r.wearer for r in results if r.wearer], handle_signals, duration_s)
    finally:
        for sink in opened:
            sink.close()
    return results


def _prepare(config: PipelineConfig, run: WearerRun, mode: str) -> SessionResult:
    specs = all_specs(run.sources)
    pipeline = WearerPipeline(config.window, specs, config.features, model=run.model)
    info = SessionInfo(
        pipeline_name=config.meta.name,
        config_hash=config.config_hash,
        config=config.raw,
        mode=mode,
        subject=run.subject,
        session=run.session_n,
        model_version=run.model.model_version if run.model is not None else "",
        streams=tuple(specs),
        window_offset_s=config.window.offset_s,
    )
    sinks = [*run.sinks, *(run.make_sinks(pipeline, info) if run.make_sinks else ())]
    pipeline.sinks = sinks
    result = SessionResult(info, pipeline=pipeline, sinks=sinks)
    on_result = run.on_result
    keep_rows = run.keep_rows

    def collect(window: WindowResult) -> None:
        if keep_rows:
            result.feature_rows.append(window.features.row())
            if window.prediction is not None:
                result.prediction_rows.append(dict(window.prediction))
            result.markers_out.extend((window.features.t_end, m) for m in window.markers)
        if on_result is not None:
            on_result(window)

    result.wearer = Wearer(run.sources, pipeline, collect)
    return result


async def _run(wearers: Sequence[Wearer], handle_signals: bool, duration_s: float | None) -> None:
    stop = asyncio.Event()
    if duration_s is not None:
        asyncio.get_running_loop().call_later(duration_s, stop.set)
    if handle_signals:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
    await run_wearers(wearers, stop)
