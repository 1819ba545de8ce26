"""`--dashboard [HOST:]PORT` (and `--no-dashboard` for `demo`): the live console in a browser."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from emostream.commands import arg_types

if TYPE_CHECKING:
    from emostream.dashboard.server import DashboardServer
    from emostream.models.online import OnlineStateModel
    from emostream.pipeline.config import PipelineConfig
    from emostream.sinks.base import Sink
    from emostream.sinks.recorder import RecorderSink
    from emostream.sources.base import Source

#: the demo's port when none is given (any free port when it is taken)
DEMO_PORT = 8765
DEFAULT_HOST = "127.0.0.1"


def host_port(text: str) -> tuple[str, int]:
    """`PORT` or `HOST:PORT` (`[::1]:PORT` for IPv6); the host defaults to 127.0.0.1."""
    host, sep, port_text = text.rpartition(":")
    if not sep:
        host, port_text = DEFAULT_HOST, text
    host = host.strip("[]") or DEFAULT_HOST
    return host, arg_types.port(port_text)


def add_dashboard_args(p: argparse.ArgumentParser, *, default_on: bool = False) -> None:
    group = p.add_argument_group("dashboard")
    where = group.add_mutually_exclusive_group() if default_on else group
    where.add_argument(
        "--dashboard",
        type=host_port,
        default=None,
        metavar="[HOST:]PORT",
        help="serve the live dashboard and the wearer's self-report page on PORT (bound to "
        "127.0.0.1 unless HOST is given)"
        + (f"; default: port {DEMO_PORT}, or any free one" if default_on else ""),
    )
    if default_on:
        where.add_argument("--no-dashboard", action="store_true", help="do not serve the dashboard")
    p.set_defaults(dashboard_default=default_on)


@dataclass
class Dashboard:
    """The running server (or None), with what it adds to one wearer's run."""

    server: DashboardServer | None = None
    sources: list[Source] = field(default_factory=list)
    sinks: list[Sink] = field(default_factory=list)

    def add_wearer(
        self,
        wearer_key: str,
        config: PipelineConfig,
        *,
        model: OnlineStateModel | None,
        recorder: RecorderSink | None,
        publish_lsl: bool,
    ) -> None:
        """A sink for the wearer, and its inbox of typed markers as one more source."""
        if self.server is None:
            return
        sink = self.server.sink_for(
            wearer_key, config, model=model, recorder=recorder, publish_lsl=publish_lsl
        )
        self.sinks.append(sink)
        self.sources.append(sink.inbox)

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()


def start_dashboard(args: argparse.Namespace, say: Callable[[str], None]) -> Dashboard:
    """Start the server `--dashboard` asks for (the demo's default unless `--no-dashboard`);
    print its addresses, and open the console when a display is there to show it."""
    from emostream.dashboard.server import DashboardServer
    from emostream.errors import UsageError

    given = getattr(args, "dashboard", None)
    default_on = getattr(args, "dashboard_default", False) and not args.no_dashboard
    if given is None and not default_on:
        return Dashboard()
    host, port = given if given is not None else (DEFAULT_HOST, DEMO_PORT)
    server = DashboardServer(host, port)
    try:
        server.start()
    except UsageError:
        if given is not None:
            raise
        server = DashboardServer(host, 0)  # the demo's default port is taken
        server.start()
    say(f"dashboard: {server.console_url()}")
    say(f"self-report page for the wearer: {server.self_report_url(0)}")
    if args.dashboard_default and _has_display():
        import webbrowser

        webbrowser.open(server.console_url())
    return Dashboard(server)


def _has_display() -> bool:
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
