"""Pieces shared by the commands that run a pipeline (demo, run)."""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console

from emostream.pipeline.config import PipelineConfig
from emostream.pipeline.launch import SessionResult
from emostream.pipeline.session import SessionInfo
from emostream.pipeline.wearer import WearerPipeline
from emostream.sinks.base import Sink
from emostream.sinks.console import ConsoleView


def add_output_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--no-lsl", action="store_true", help="do not publish LSL outlets")


def make_output_sinks(
    args: argparse.Namespace,
    config: PipelineConfig,
    pipeline: WearerPipeline,
    info: SessionInfo,
    console: Console,
) -> list[Sink]:
    sinks: list[Sink] = []
    if config.outputs.lsl and not args.no_lsl:
        from emostream.sinks.outputs import FeatureOutletSink

        prefix = config.outputs.lsl_prefix
        name = f"{prefix}-Features"
        sinks.append(
            FeatureOutletSink(name=name, source_id=f"{prefix}:{info.config_hash}:features")
        )
        console.print(f"LSL outlet: {name} (type Features, one sample per window)")
    return sinks


def print_summary(console: Console, view: ConsoleView, result: SessionResult) -> None:
    console.print(view.summary())
    pipeline = result.pipeline
    if pipeline is None:
        return
    stats = pipeline.windower.stats()
    lines: list[Any] = []
    for key, s in stats.items():
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
    console.print("streams: " + "; ".join(lines))
    console.print(
        f"{pipeline.counters.n_windows} windows, config {result.info.config_hash}, "
        f"emostream {result.info.software_version}"
    )
