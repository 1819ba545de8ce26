"""What the commands that run a pipeline live (`demo`, `run`) share."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from emostream.errors import StreamError

if TYPE_CHECKING:
    from rich.console import Console

    from emostream.models.online import OnlineStateModel
    from emostream.pipeline.config import PipelineConfig
    from emostream.pipeline.launch import SessionResult
    from emostream.sinks.base import Sink
    from emostream.sinks.console import ConsoleView
    from emostream.sinks.recorder import RecorderSink
    from emostream.sources.base import Source


def add_output_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--no-lsl", action="store_true", help="do not publish LSL outlets")


def add_model_args(p: argparse.ArgumentParser, help: str) -> None:
    """`--model FILE` and the opt-in to read a pickled model file."""
    p.add_argument("--model", type=Path, default=None, metavar="FILE", help=help)
    p.add_argument(
        "--trust-model-file",
        action="store_true",
        help="allow a model file written with `[model] allow_pickle = true` (a pickle, which "
        "runs code when loaded): only for files you made yourself",
    )


@dataclass
class LiveSession:
    """One wearer of a live run: who, which pipeline and sources, where to record and learn.

    `slot` goes into the outlet names when one process hosts many wearers ("" for one
    wearer: the outlets keep the pipeline's names); the subject never goes onto the network.
    """

    subject: str
    config: PipelineConfig
    sources: Sequence[Source]
    recorder: RecorderSink | None = None
    model_path: Path | None = None
    slot: str = ""


def run_pipeline(
    args: argparse.Namespace,
    config: PipelineConfig,
    sources: Sequence[Source],
    console: Console,
    *,
    mode: str,
    subject: str,
    recorder: RecorderSink | None = None,
    model_path: Path | None = None,
    trust_model_file: bool = False,
    duration_s: float | None = None,
) -> SessionResult:
    """Console view, LSL outlets and recorder around one session; summary at the end."""
    session = LiveSession(subject, config, sources, recorder, model_path)
    return run_live(
        args, [session], console, mode=mode, trust_model_file=trust_model_file,
        duration_s=duration_s,
    )[0]  # fmt: skip


def run_live(
    args: argparse.Namespace,
    sessions: Sequence[LiveSession],
    console: Console,
    *,
    mode: str,
    trust_model_file: bool = False,
    duration_s: float | None = None,
) -> list[SessionResult]:
    """Every wearer's session in one event loop, each with its own model, view, outlets and
    recorder; a summary per wearer at the end, then each model is saved. Exit 1 (StreamError)
    if a wearer's session closed no window, after the others are saved."""
    from emostream.commands.dashboard_options import start_dashboard
    from emostream.pipeline.build import build_model
    from emostream.pipeline.launch import WearerRun, run_sessions
    from emostream.sinks.console import ConsoleView, WearersBoard

    models = [
        build_model(s.config, s.model_path, trust_model_file=trust_model_file) for s in sessions
    ]
    board = WearersBoard(console) if any(s.slot for s in sessions) else None
    dashboard = start_dashboard(args, lambda text: console.print(text, soft_wrap=True))
    views: list[ConsoleView] = []
    runs: list[WearerRun] = []
    for session, model in zip(sessions, models, strict=True):
        devices = list(zip(session.config.source_names, session.sources, strict=True))
        view = (
            board.view_for(session.slot, devices)
            if board is not None
            else ConsoleView(console, devices=devices)
        )
        views.append(view)
        if session.recorder is not None:
            session.recorder.watch_sources(session.sources)
        say = console.print if not runs else _quiet  # the outlet names, once
        outputs = wearer_sinks(args, session, model, say)
        sinks = [view, *outputs, *([session.recorder] if session.recorder else [])]
        sources = list(session.sources)
        if dashboard.server is not None:  # the wearer's pages; typed markers come back as a source
            page = dashboard.server.sink_for(
                session.subject, session.config, model=model, recorder=session.recorder,
                publish_lsl=bool(outputs),
            )  # fmt: skip
            sinks.append(page)
            sources.append(page.inbox)
        runs.append(WearerRun(sources, model, sinks, subject=session.subject, keep_rows=False))
    if board is not None:
        board.open()
    try:
        results = run_sessions(
            [s.config for s in sessions], runs, mode=mode,
            handle_signals=True,  # Ctrl-C or SIGTERM ends the session cleanly (recording finalised)
            duration_s=duration_s,
        )  # fmt: skip
    finally:
        if board is not None:
            board.close()
        dashboard.stop()
    failed = []
    for session, model, view, result in zip(sessions, models, views, results, strict=True):
        label = f"{session.slot}: " if board is not None else ""
        print_summary(console, view, result, label=label)
        recorder = session.recorder
        if recorder is not None:
            if recorder.error is not None:
                console.print(
                    f"[red]{label}recording stopped early[/] ({recorder.error}); everything "
                    f"written before it is readable in {recorder.path}",
                    soft_wrap=True,
                )
            else:
                console.print(f"{label}recorded to {recorder.path}", soft_wrap=True)
        try:
            check_windows(session.config, result)
        except StreamError as exc:
            failed.append(f"{label}{exc}")
        if model is not None and session.model_path is not None:
            model.save(session.model_path)
            console.print(
                f"{label}model saved to {session.model_path} ({model.model_version})",
                soft_wrap=True,
            )
    if failed:
        raise StreamError("; ".join(failed))
    return results


def wearer_sinks(
    args: argparse.Namespace,
    session: LiveSession,
    model: OnlineStateModel | None,
    say: Callable[[str], object],
) -> list[Sink]:
    """The outputs of one wearer's session: its Features and State outlets (named after the
    pipeline's prefix and the wearer's slot)."""
    config = session.config
    if not config.outputs.lsl or args.no_lsl:
        return []
    from emostream.sinks.outputs import FeatureOutletSink

    prefix = config.outputs.lsl_prefix
    name = f"{prefix}-{session.slot}" if session.slot else prefix
    id_prefix = f"{prefix}:{session.slot}" if session.slot else prefix
    outputs: list[Sink] = [
        FeatureOutletSink(
            name=f"{name}-Features", source_id=f"{id_prefix}:{config.config_hash}:features"
        )
    ]
    say(f"LSL outlet: {name}-Features (type Features, one sample per window)")
    if model is not None:
        from emostream.sinks.state import StateOutletSink

        state = StateOutletSink(
            name=f"{name}-State",
            source_id=f"{id_prefix}:{config.config_hash}:state",
            classes=model.classes,
        )
        outputs.append(state)
        say(
            f"LSL outlets: {state.spec.name} (type State), {state.markers.name} "
            "(label requests, drift, model version)"
        )
    return outputs


def _quiet(text: str) -> None:
    pass


def check_windows(config: PipelineConfig, result: SessionResult) -> None:
    """A session that closed no window failed, whatever the reason: say why (exit 1)."""
    if result.pipeline is None or result.pipeline.counters.n_windows:
        return
    errors = result.wearer.stats.source_errors if result.wearer is not None else []
    reason = (
        "; ".join(errors)
        if errors
        else f"no stream delivered a whole window ({config.window.length_s:g} s) of data"
    )
    raise StreamError(f"the session produced no windows: {reason}")


def print_summary(
    console: Console, view: ConsoleView, result: SessionResult, *, label: str = ""
) -> None:
    """The per-phase table (one wearer), then streams, timestamp repairs, source errors and
    windows; with a `label` (one of many wearers) the lines only, each prefixed."""
    if not label:
        console.print(view.summary())
    pipeline = result.pipeline
    if pipeline is None:
        return
    lines = []
    for key, s in pipeline.windower.stats().items():
        issues = []
        if s.n_nonfinite:
            issues.append(f"{s.n_nonfinite} non-finite")
        if s.n_out_of_order:
            issues.append(f"{s.n_out_of_order} out-of-order (dropped)")
        if s.n_gaps:
            issues.append(f"{s.n_gaps} gaps")
        lines.append(
            f"{key}: {s.n_samples} samples" + (f" ({', '.join(issues)})" if issues else "")
        )
    console.print(f"{label}streams: " + "; ".join(lines), soft_wrap=True)
    if result.wearer is not None:
        for source in result.wearer.sources:
            for source_id, t in source.timestamp_stats().items():
                if t.n_events:
                    console.print(
                        f"{label}{source_id}: {t.n_nonfinite} non-finite and {t.n_jumps} jumping "
                        f"timestamps; {t.n_repaired} samples re-stamped from the rate, "
                        f"{t.n_dropped} dropped",
                        soft_wrap=True,
                    )
        for error in result.wearer.stats.source_errors:
            console.print(f"[red]{label}source stopped: {error}[/]", soft_wrap=True)
    latency = pipeline.latency.percentiles_ms()
    if latency is not None:
        console.print(
            f"{label}window latency in the run (closing sample's arrival → outputs): p50 "
            f"{latency[0]:.1f} ms, p99 {latency[1]:.1f} ms over the last "
            f"{pipeline.latency.n_kept} windows",
            soft_wrap=True,
        )
    accuracy = f", accuracy {view.accuracy:.1%}" if label and view.accuracy is not None else ""
    console.print(
        f"{label}{pipeline.counters.n_windows} windows{accuracy}, config "
        f"{result.info.config_hash}, emostream {result.info.software_version}",
        soft_wrap=True,
    )
