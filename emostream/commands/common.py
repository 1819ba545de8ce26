"""What the commands that run a pipeline live (`demo`, `run`) share."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

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
    from emostream.commands.dashboard_options import start_dashboard
    from emostream.pipeline.build import build_model
    from emostream.pipeline.launch import run_session
    from emostream.sinks.console import ConsoleView

    model = build_model(config, model_path, trust_model_file=trust_model_file)
    view = ConsoleView(console, devices=list(zip(config.source_names, sources, strict=True)))
    if recorder is not None:
        recorder.watch_sources(sources)
    outputs: list[Sink] = []
    if config.outputs.lsl and not args.no_lsl:
        from emostream.sinks.outputs import FeatureOutletSink

        name = f"{config.outputs.lsl_prefix}-Features"
        outputs.append(
            FeatureOutletSink(
                name=name, source_id=f"{config.outputs.lsl_prefix}:{config.config_hash}:features"
            )
        )
        console.print(f"LSL outlet: {name} (type Features, one sample per window)")
        if model is not None:
            from emostream.sinks.state import StateOutletSink

            state = StateOutletSink(
                name=f"{config.outputs.lsl_prefix}-State",
                source_id=f"{config.outputs.lsl_prefix}:{config.config_hash}:state",
                classes=model.classes,
            )
            outputs.append(state)
            console.print(
                f"LSL outlets: {state.spec.name} (type State), {state.markers.name} "
                "(label requests, drift, model version)"
            )
    dashboard = start_dashboard(args, lambda text: console.print(text, soft_wrap=True))
    dashboard.add_wearer(subject, config, model=model, recorder=recorder, publish_lsl=bool(outputs))
    result = run_session(
        config,
        [*sources, *dashboard.sources],
        mode=mode,
        model=model,
        sinks=[view, *outputs, *([recorder] if recorder else []), *dashboard.sinks],
        subject=subject,
        handle_signals=True,  # Ctrl-C or SIGTERM ends the session cleanly (recording finalised)
        duration_s=duration_s,
    )
    dashboard.stop()  # a daemon thread: an error above ends it with the process
    print_summary(console, view, result)
    if recorder is not None:
        if recorder.error is not None:
            console.print(
                f"[red]recording stopped early[/] ({recorder.error}); everything written before "
                f"it is readable in {recorder.path}",
                soft_wrap=True,
            )
        else:
            console.print(f"recorded to {recorder.path}")
    check_windows(config, result)
    if model is not None and model_path is not None:
        model.save(model_path)
        console.print(f"model saved to {model_path} ({model.model_version})")
    return result


def check_windows(config: PipelineConfig, result: SessionResult) -> None:
    """A session that closed no window failed, whatever the reason: say why (exit 1)."""
    from emostream.errors import StreamError

    if result.pipeline is None or result.pipeline.counters.n_windows:
        return
    errors = result.wearer.stats.source_errors if result.wearer is not None else []
    reason = (
        "; ".join(errors)
        if errors
        else f"no stream delivered a whole window ({config.window.length_s:g} s) of data"
    )
    raise StreamError(f"the session produced no windows: {reason}")


def print_summary(console: Console, view: ConsoleView, result: SessionResult) -> None:
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
    console.print("streams: " + "; ".join(lines), soft_wrap=True)
    if result.wearer is not None:
        for source in result.wearer.sources:
            for source_id, t in source.timestamp_stats().items():
                if t.n_events:
                    console.print(
                        f"{source_id}: {t.n_nonfinite} non-finite and {t.n_jumps} jumping "
                        f"timestamps; {t.n_repaired} samples re-stamped from the rate, "
                        f"{t.n_dropped} dropped",
                        soft_wrap=True,
                    )
        for error in result.wearer.stats.source_errors:
            console.print(f"[red]source stopped: {error}[/]", soft_wrap=True)
    console.print(
        f"{pipeline.counters.n_windows} windows, config {result.info.config_hash}, "
        f"emostream {result.info.software_version}"
    )
