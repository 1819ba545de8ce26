"""The dashboard's web server: one per process, on its own thread and event loop.

It serves the pages and their static files (no CDN: everything ships in the package), pushes
every wearer's new points to each browser over a WebSocket at a fixed rate, and takes the
markers and self-reports that the pages write (with the session's token) into each wearer's
inbox. The pipeline never waits on it: sinks copy under a lock, the server reads at its pace.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import secrets
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emostream.dashboard.answers import AnswerError, operator_marker, report_markers
from emostream.dashboard.broadcast import DROPPED, Broadcaster
from emostream.dashboard.inbox import InboxUnavailable, MarkerInbox
from emostream.dashboard.sink import Cursor, DashboardSink
from emostream.errors import UsageError

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.websockets import WebSocket

    from emostream.models.online import OnlineStateModel
    from emostream.pipeline.config import PipelineConfig
    from emostream.sinks.recorder import RecorderSink

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
#: how often every client gets the wearers' new points
PUSH_RATE_HZ = 10.0
#: messages a client may fall behind before it is dropped
MAX_QUEUED = 8
#: seconds to wait for the server thread to stop
STOP_TIMEOUT_S = 5.0


class DashboardServer:
    """Serves the console (`/`) and the self-report page (`/self-report?w=SLOT`)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        rate_hz: float = PUSH_RATE_HZ,
        max_queued: int = MAX_QUEUED,
    ):
        self.host = host
        self.port = port
        self.rate_hz = rate_hz
        self.token = secrets.token_urlsafe(24)
        self.broadcaster = Broadcaster(max_queued)
        self.n_pushes = 0
        self._sinks: list[DashboardSink] = []
        self._keys: set[str] = set()
        self._cursors: list[Cursor] = []
        self._thread: threading.Thread | None = None
        self._server: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._window_closed: asyncio.Event | None = None

    # -- wearers --------------------------------------------------------------------------
    def sink_for(
        self,
        wearer_key: str,
        config: PipelineConfig | None = None,
        *,
        model: OnlineStateModel | None = None,
        recorder: RecorderSink | None = None,
        publish_lsl: bool = False,
    ) -> DashboardSink:
        """A new wearer's sink; add `sink.inbox` to the wearer's sources (without a pipeline,
        e.g. a replay, the pages only show the data and refuse writes). The pages name the
        wearer by its slot (0, 1, ...), never by `wearer_key`. With `publish_lsl`, markers
        typed in the pages are also published on an LSL Markers outlet."""
        if wearer_key in self._keys:
            raise ValueError(f"wearer {wearer_key!r} already has a dashboard sink")
        slot = len(self._sinks)
        prefix = config.outputs.lsl_prefix if config is not None else "emostream"
        config_hash = config.config_hash if config is not None else "none"
        inbox = MarkerInbox(
            f"{prefix}-Console-Markers" + (f"-{slot}" if slot else ""),
            f"{prefix}:{config_hash}:console:{slot}",
            publish=publish_lsl,
        )
        sink = DashboardSink(
            slot,
            classes=tuple(model.classes) if model is not None else (),
            report_span_s=model.config.active.span_s if model is not None else 120.0,
            model=model,
            recorder=recorder,
            inbox=inbox,
            on_window_closed=self._wake,
        )
        self._keys.add(wearer_key)
        self._cursors.append(Cursor())
        self._sinks.append(sink)
        return sink

    # -- addresses --------------------------------------------------------------------------
    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def console_url(self) -> str:
        """The console's address with the write token (in the fragment: never sent or logged)."""
        return f"{self.url}#token={self.token}"

    def self_report_url(self, slot: int = 0) -> str:
        return f"{self.url}self-report?w={slot}#token={self.token}"

    # -- life cycle -------------------------------------------------------------------------
    def start(self) -> None:
        """Bind (UsageError when the address is taken) and serve on a new thread."""
        import uvicorn

        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError as exc:
            sock.close()
            raise UsageError(
                f"--dashboard: cannot listen on {self.host}:{self.port} ({exc.strerror or exc}); "
                "choose another port"
            ) from None
        sock.listen(64)
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self._app(),
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        ready = threading.Event()

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            pusher = loop.create_task(self._push_forever())
            loop.call_soon(ready.set)
            try:
                loop.run_until_complete(self._server.serve(sockets=[sock]))
            finally:
                pusher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    loop.run_until_complete(pusher)
                loop.close()
                sock.close()

        self._thread = threading.Thread(target=serve, name="emostream-dashboard", daemon=True)
        self._thread.start()
        ready.wait(STOP_TIMEOUT_S)

    def stop(self) -> None:
        """Close every connection and stop the thread. Safe to call twice."""
        if self._thread is None:
            return
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._final_push)
        self._server.should_exit = True
        self._thread.join(STOP_TIMEOUT_S)
        self._thread = None

    # -- pushing --------------------------------------------------------------------------
    async def _push_forever(self) -> None:
        """Push every 1/rate_hz s, and sooner (at most twice as often) when a window closed."""
        period_s = 1.0 / self.rate_hz
        self._window_closed = asyncio.Event()
        last_s = time.monotonic()
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._window_closed.wait(), period_s)
                await asyncio.sleep(max(last_s + period_s / 2 - time.monotonic(), 0.0))
            self._window_closed.clear()
            last_s = time.monotonic()
            self._push()

    def _wake(self) -> None:
        """A wearer's window closed (called on the pipeline's thread)."""
        loop = self._loop
        if loop is not None and not loop.is_closed() and self._window_closed is not None:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._window_closed.set)

    def _push(self) -> None:
        sinks = list(self._sinks)
        if not sinks:
            return
        wearers = [s.delta(self._cursors[s.slot]) for s in sinks]
        if len(self.broadcaster):
            self.n_pushes += 1
            self.broadcaster.publish(_dumps({"type": "delta", "wearers": wearers}))

    def _final_push(self) -> None:
        self._push()
        self.broadcaster.close_all()

    def _snapshot(self) -> str:
        """Everything held up to the cursors of the last push (the next delta follows on)."""
        wearers = []
        for sink in list(self._sinks):
            wearers.append(sink.describe() | sink.delta(Cursor(), until=self._cursors[sink.slot]))
        return _dumps({"type": "snapshot", "wearers": wearers})

    # -- the web app ------------------------------------------------------------------------
    def _app(self) -> Any:
        from starlette.applications import Starlette
        from starlette.routing import Mount, Route, WebSocketRoute
        from starlette.staticfiles import StaticFiles

        return Starlette(
            routes=[
                Route("/", self._page("console.html")),
                Route("/self-report", self._page("self-report.html")),
                Route("/api/session", self._session),
                Route("/api/wearers/{slot:int}/request", self._request),
                Route("/api/wearers/{slot:int}/markers", self._markers, methods=["POST"]),
                Route("/api/wearers/{slot:int}/reports", self._reports, methods=["POST"]),
                WebSocketRoute("/ws", self._websocket),
                Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
            ]
        )

    @staticmethod
    def _page(name: str) -> Any:
        from starlette.responses import FileResponse

        async def page(request: Request) -> Response:
            return FileResponse(STATIC_DIR / name, headers={"Cache-Control": "no-store"})

        return page

    async def _session(self, request: Request) -> Response:
        from starlette.responses import JSONResponse

        return JSONResponse(
            {"wearers": [s.describe() for s in self._sinks], "rate_hz": self.rate_hz}
        )

    async def _request(self, request: Request) -> Response:
        """The wearer's open label request (or null), for the self-report page."""
        from starlette.responses import JSONResponse

        sink = self._sink(request)
        if sink is None:
            return JSONResponse({"error": "no such wearer"}, status_code=404)
        request_now, ended = sink.open_request()
        return JSONResponse({"request": request_now, "ended": ended})

    async def _markers(self, request: Request) -> Response:
        return await self._write(request, lambda body, sink: [operator_marker(body)], False)

    async def _reports(self, request: Request) -> Response:
        def markers(body: dict[str, Any], sink: DashboardSink) -> list[str]:
            if not sink.classes:
                raise AnswerError("this session runs no model: there is nothing to report to")
            return report_markers(body, sink.classes, sink.report_span_s)

        return await self._write(request, markers, True)

    async def _write(
        self,
        request: Request,
        make: Callable[[dict[str, Any], DashboardSink], list[str]],
        answers_request: bool,
    ) -> Response:
        from starlette.responses import JSONResponse

        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not secrets.compare_digest(given.encode(), self.token.encode()):
            return JSONResponse(
                {"error": "writing needs the session's token: open the link printed at start"},
                status_code=403,
            )
        sink = self._sink(request)
        if sink is None:
            return JSONResponse({"error": "no such wearer"}, status_code=404)
        try:
            body = await request.json()
            if not isinstance(body, dict):
                raise AnswerError("the request body must be a JSON object")
            markers = make(body, sink)
        except (AnswerError, ValueError) as exc:
            message = str(exc) if isinstance(exc, AnswerError) else "the body is not JSON"
            return JSONResponse({"error": message}, status_code=400)
        try:
            t_s = sink.submit(markers, answers_request=answers_request)
        except InboxUnavailable as exc:
            return JSONResponse({"error": f"not accepted: {exc}"}, status_code=503)
        return JSONResponse({"t_s": t_s, "markers": markers})

    def _sink(self, request: Request) -> DashboardSink | None:
        slot = request.path_params["slot"]
        return self._sinks[slot] if 0 <= slot < len(self._sinks) else None

    async def _websocket(self, websocket: WebSocket) -> None:
        from starlette.websockets import WebSocketDisconnect

        await websocket.accept()
        queue = self.broadcaster.join(self._snapshot())
        try:
            while True:
                message = await queue.get()
                if message is DROPPED:
                    await websocket.close(code=1013, reason="too slow")  # "try again later"
                    return
                await websocket.send_text(message)
        except (WebSocketDisconnect, RuntimeError, OSError):
            return
        finally:
            self.broadcaster.leave(queue)


def _dumps(message: dict[str, Any]) -> str:
    """JSON of a push; trace values are already finite or null, the rest is checked here."""
    for wearer in message["wearers"]:
        wearer["latest"] = _finite(wearer["latest"])
        wearer["events"] = _finite(wearer["events"])
    return json.dumps(message, separators=(",", ":"), allow_nan=False)


def _finite(value: Any) -> Any:
    """JSON has no NaN or infinity: they become null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value
