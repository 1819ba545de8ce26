"""Live terminal view (rich) and the end-of-session summary."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.table import Table

from emostream.core.events import LinkState, StatusEvent
from emostream.features.base import FeatureVector
from emostream.sinks.base import Sink

#: features shown live, with their display names and formats
LIVE_FEATURES: tuple[tuple[str, str, str], ...] = (
    ("hr_bpm", "HR bpm", "{:.0f}"),
    ("hrv_rmssd_ms", "RMSSD ms", "{:.0f}"),
    ("eda_scl_us", "SCL µS", "{:.2f}"),
    ("eda_scr_count", "SCRs", "{:.0f}"),
    ("rsp_rate_bpm", "Resp /min", "{:.1f}"),
    ("temp_c", "Temp °C", "{:.2f}"),
    ("eeg_faa", "FAA", "{:+.2f}"),
    ("face_happiness_mean", "Smile", "{:.2f}"),
    ("voice_f0_mean_hz", "F0 Hz", "{:.0f}"),
    ("text_valence", "Words", "{:+.2f}"),
)
PHASE_PREFIX = "phase:"
LOW_BATTERY_PCT = 15


@dataclass
class PhaseStats:
    n: int = 0
    sums: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, values: dict[str, float]) -> None:
        self.n += 1
        for key, value in values.items():
            if math.isfinite(value):
                self.sums[key] += value
                self.counts[key] += 1

    def mean(self, key: str) -> float | None:
        return self.sums[key] / self.counts[key] if self.counts.get(key) else None


class ConsoleView(Sink):
    """Shows the newest window (phase, features, coverage, state) and summarises at the end.

    On a terminal the view updates in place; otherwise one line is printed every
    `line_every_s` seconds of data, so logs stay readable.
    """

    def __init__(
        self,
        console: Console | None = None,
        *,
        line_every_s: float = 30.0,
        devices: Sequence[tuple[str, Any]] = (),
        label: str = "",
        board: WearersBoard | None = None,
    ):
        self.console = console or Console(stderr=False)
        #: the wearer's slot, shown before each line when one process hosts many wearers
        self.label = label
        self.board = board
        #: device stream source_id → name, for the live link status of each (LinkState events)
        self._device_names = {
            spec.source_id: name
            for name, source in devices
            for spec in source.specs[:1]
            if not spec.is_markers
        }
        self._links: dict[str, LinkState] = {}
        self.line_every_s = line_every_s
        self._live: Live | None = None
        self._phase = "-"
        self._phase_stats: dict[str, PhaseStats] = defaultdict(PhaseStats)
        self._last_line_t: float | None = None
        self._n_windows = 0
        self._n_scored = 0
        self._n_correct = 0
        self._requests: list[tuple[float, str]] = []
        self._other_markers: list[tuple[float, str]] = []
        self._first_t: float | None = None
        self._last: tuple[FeatureVector, dict[str, Any] | None] | None = None

    # -- Sink hooks --------------------------------------------------------------------
    def open(self, session: Any) -> None:
        if self.console.is_terminal and self.board is None:
            self._live = Live(self._render(), console=self.console, refresh_per_second=4)
            self._live.start()

    def on_event(self, event: StatusEvent) -> None:
        if isinstance(event, LinkState) and event.source_id in self._device_names:
            self._links[event.source_id] = event

    def on_window(self, features: FeatureVector, prediction: dict[str, Any] | None) -> None:
        for _, marker in features.markers:
            parts = marker.split(":")
            if marker.startswith(PHASE_PREFIX) and len(parts) == 3:
                if parts[2] == "start":
                    self._phase = parts[1]
                elif parts[2] == "end" and parts[1] == self._phase:
                    self._phase = "-"  # between phases: the pause is no phase's
        if self._first_t is None:
            self._first_t = features.t_end
        self._n_windows += 1
        self._phase_stats[self._phase].add(features.values)
        if (
            prediction is not None
            and "label" in prediction
            and prediction.get("state") not in (None, "unknown")
        ):
            self._n_scored += 1
            self._n_correct += int(prediction["state"] == prediction["label"])
        self._last = (features, prediction)
        if self._live is not None:
            self._live.update(self._render())
        elif self.board is not None and self.board.is_live:
            return
        elif self._last_line_t is None or features.t_end - self._last_line_t >= self.line_every_s:
            self._last_line_t = features.t_end
            self.console.print(self._line(features, prediction), highlight=False, soft_wrap=True)

    def on_marker(self, t_s: float, marker: str) -> None:
        target = self._requests if marker.startswith("label-request") else self._other_markers
        target.append((t_s, marker))
        if self._live is None and (self.board is None or not self.board.is_live):
            self.console.print(
                f"{self._prefix}[{self._clock(t_s)}] marker out: {marker}",
                highlight=False,
                soft_wrap=True,
            )

    def close(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    # -- rendering ---------------------------------------------------------------------
    @property
    def accuracy(self) -> float | None:
        return self._n_correct / self._n_scored if self._n_scored else None

    @property
    def _prefix(self) -> str:
        return f"{self.label} " if self.label else ""

    def _clock(self, t_s: float) -> str:
        elapsed = t_s - (self._first_t or t_s)
        return f"{int(elapsed // 60):02d}:{int(elapsed % 60):02d}"

    def _line(self, fv: FeatureVector, prediction: dict[str, Any] | None) -> str:
        parts = [f"{self._prefix}[{self._clock(fv.t_end)}] phase={self._phase}"]
        for key, label, fmt in LIVE_FEATURES:
            if key in fv.values:
                parts.append(f"{label}={fmt.format(fv.values[key])}")
        cov = " ".join(f"{k}:{v:.0%}" for k, v in fv.coverage.items())
        parts.append(f"coverage({cov})")
        if prediction is not None:
            parts.append(f"state={prediction.get('state')} ({prediction.get('confidence', 0):.0%})")
            if self.accuracy is not None:
                parts.append(f"acc={self.accuracy:.0%}")
        parts += [f"{name}: {text}" for name, text in self.device_lines()]
        return "  ".join(parts)

    def _render(self) -> Table:
        table = Table(title="emostream live", show_header=True, expand=False)
        table.add_column("what")
        table.add_column("value", justify="right")
        if self._last is None:
            table.add_row("status", "waiting for the first window…")
            return table
        fv, prediction = self._last
        table.add_row("time", self._clock(fv.t_end))
        table.add_row("phase", self._phase)
        for key, label, fmt in LIVE_FEATURES:
            table.add_row(label, fmt.format(fv.values[key]) if key in fv.values else "–")
        for key, value in fv.coverage.items():
            flags = ",".join(fv.flags.get(key, ()))
            table.add_row(f"coverage {key}", f"{value:.0%}" + (f" ({flags})" if flags else ""))
        if prediction is not None:
            table.add_row(
                "state", f"{prediction.get('state')} ({prediction.get('confidence', 0):.0%})"
            )
            if "arousal" in prediction:
                table.add_row("arousal index", f"{prediction['arousal']:+.2f}")
            if self.accuracy is not None:
                table.add_row("prequential accuracy", f"{self.accuracy:.1%} of {self._n_scored}")
        if self._requests:
            table.add_row(
                "label requests",
                f"{len(self._requests)} (last at {self._clock(self._requests[-1][0])})",
            )
        for name, text in self.device_lines():
            table.add_row(name, text)
        return table

    def cells(self) -> list[str]:
        """The newest window in one table row: time, phase, HR, SCL, state, accuracy, devices."""
        if self._last is None:
            return ["–", "waiting", "–", "–", "–", "–", ""]
        fv, prediction = self._last
        hr, scl = fv.values.get("hr_bpm"), fv.values.get("eda_scl_us")
        state = "–"
        if prediction is not None:
            state = f"{prediction.get('state')} ({prediction.get('confidence', 0):.0%})"
        return [
            self._clock(fv.t_end),
            self._phase,
            f"{hr:.0f}" if hr is not None else "–",
            f"{scl:.2f}" if scl is not None else "–",
            state,
            f"{self.accuracy:.0%}" if self.accuracy is not None else "–",
            "; ".join(f"{name}: {text}" for name, text in self.device_lines()),
        ]

    def device_lines(self) -> list[tuple[str, str]]:
        """One line per device: link state, battery (flagged when low), signal strength, gaps."""
        lines = []
        for source_id, status in self._links.items():
            name = self._device_names[source_id]
            parts = [status.state]
            if status.battery_pct is not None:
                low = " LOW" if status.battery_pct <= LOW_BATTERY_PCT else ""
                parts.append(f"battery {status.battery_pct}%{low}")
            if status.rssi_dbm is not None:
                parts.append(f"{status.rssi_dbm} dBm")
            if status.n_gaps:
                parts.append(f"{status.n_gaps} gaps")
            lines.append((name, ", ".join(parts)))
        return lines

    def summary(self) -> Table:
        """Per-phase means of the live features, plus model and marker counts."""
        table = Table(title=f"summary: {self._n_windows} windows")
        table.add_column("phase")
        table.add_column("windows", justify="right")
        shown = [
            (key, label, fmt)
            for key, label, fmt in LIVE_FEATURES
            if any(stats.counts.get(key) for stats in self._phase_stats.values())
        ]
        for _, label, _ in shown:
            table.add_column(label, justify="right")
        for phase, stats in self._phase_stats.items():
            cells = []
            for key, _, fmt in shown:
                mean = stats.mean(key)
                cells.append(fmt.format(mean) if mean is not None else "–")
            table.add_row(phase, str(stats.n), *cells)
        if self.accuracy is not None:
            table.caption = (
                f"prequential accuracy {self.accuracy:.1%} over {self._n_scored} labelled windows; "
                f"{len(self._requests)} label requests; {len(self._other_markers)} other markers"
            )
        return table


class WearersBoard:
    """Many wearers at a glance: one row per wearer, redrawn in place on a terminal.

    Each wearer has its own `ConsoleView` (from `view_for`); off a terminal, each view prints
    its own lines, prefixed with the wearer's slot.
    """

    COLUMNS = ("wearer", "time", "phase", "HR bpm", "SCL µS", "state", "acc", "devices")

    def __init__(self, console: Console, *, line_every_s: float = 30.0):
        self.console = console
        self.line_every_s = line_every_s
        self.views: dict[str, ConsoleView] = {}
        self._live: Live | None = None

    @property
    def is_live(self) -> bool:
        return self._live is not None

    def view_for(self, slot: str, devices: Sequence[tuple[str, Any]] = ()) -> ConsoleView:
        view = ConsoleView(
            self.console, line_every_s=self.line_every_s, devices=devices, label=slot, board=self
        )
        self.views[slot] = view
        return view

    def open(self) -> None:
        if self.console.is_terminal:
            self._live = Live(
                get_renderable=self._render, console=self.console, refresh_per_second=2
            )
            self._live.start()

    def close(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    def _render(self) -> Table:
        table = Table(title=f"emostream live: {len(self.views)} wearers", expand=False)
        for column in self.COLUMNS:
            table.add_column(column)
        for slot, view in list(self.views.items()):
            table.add_row(slot, *view.cells())
        return table
