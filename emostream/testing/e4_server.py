"""A virtual E4 streaming server on loopback: speaks the server's TCP protocol and streams a
simulated E4 at its native rates (EDA 4 Hz, BVP 64 Hz, ACC 32 Hz, TEMP 4 Hz, HR/IBI per
beat, a tag every 10 s, battery every 5 s). Without a `wearer`, the BVP value is the sample
counter, so a receiver can check for lost or duplicated samples; with a `WearerSignals`, the
streams carry the synthetic wearer's pulse, EDA, skin temperature and beats.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

from emostream.protocols import e4
from emostream.testing.wearer import WearerSignals

#: emission rates (Hz) of the streams the E4 sends per beat or event
_EVENT_RATES_HZ = {"ibi": 1.0, "hr": 1.0, "tag": 0.1, "bat": 0.2}
#: subscription → (line prefix, rate Hz)
_RATES = {
    s.subscription: (s.prefix, s.rate_hz or _EVENT_RATES_HZ[s.subscription]) for s in e4.E4_STREAMS
}


def _values(stream: str, n: int, battery: float) -> str:
    if stream == "gsr":
        return f"{2.0 + 0.001 * (n % 2000):.4f}"
    if stream == "bvp":
        return f"{n}"
    if stream == "acc":
        return f"{n % 64} {-(n % 64)} 64"
    if stream == "tmp":
        return f"{33.0 + 0.01 * (n % 100):.2f}"
    if stream == "hr":
        return f"{60 + n % 20}"
    if stream == "ibi":
        return f"{0.8 + 0.01 * (n % 20):.3f}"
    if stream == "bat":
        return f"{battery:.2f}"
    return ""


#: subscription → the wearer's signal kind and its scale to the E4's units
_WEARER_KINDS = {"gsr": ("EDA", 1.0), "bvp": ("PPG", 50.0), "tmp": ("TEMP", 1.0)}


def _wearer_values(wearer: WearerSignals, stream: str, n: int, battery: float) -> str:
    if stream in _WEARER_KINDS:
        kind, scale = _WEARER_KINDS[stream]
        value = float(wearer.samples(kind, _RATES[stream][1], n, 1)[0, 0]) * scale
        return f"{value:.4f}"
    if stream == "acc":
        return "0 0 64"  # at rest, 1 g on z (1/64 g per count)
    if stream == "ibi":
        return f"{wearer.rr_interval_s(n):.3f}"
    if stream == "hr":
        return f"{60.0 / wearer.rr_interval_s(n):.1f}"
    return _values(stream, n, battery)


class VirtualE4Server:
    """Listens on `host:port` (port 0 = any free port; see `.port` after `start()`)."""

    def __init__(
        self, device_id: str = "9ff167", *, host: str = "127.0.0.1", port: int = 0,
        speed: float = 1.0, battery: float = 0.8, wearer: WearerSignals | None = None,
    ) -> None:  # fmt: skip
        self.device_id = device_id
        self.host = host
        self.port = port
        self.speed = speed
        self.battery = battery
        self.wearer = wearer
        self.t0_unix_s = time.time()
        self._t0_loop: float | None = None
        self._server: asyncio.Server | None = None
        self._clients: set[asyncio.Task[None]] = set()
        self.n_connections = 0

    async def start(self) -> None:
        """Listen; after `stop()`, starts again on the same port with the same device clock."""
        if self._t0_loop is None:
            self._t0_loop = asyncio.get_running_loop().time()
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Close the listening socket and every client connection."""
        if self._server is not None:
            self._server.close()
            self._server = None
        for task in list(self._clients):
            task.cancel()
        await asyncio.gather(*self._clients, return_exceptions=True)

    def _due(self, rate_hz: float) -> int:
        """Samples of a stream produced since start (the device samples whether heard or not)."""
        assert self._t0_loop is not None
        elapsed_s = (asyncio.get_running_loop().time() - self._t0_loop) * self.speed
        return int(elapsed_s * rate_hz)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._clients.add(task)
        self.n_connections += 1
        subscribed: dict[str, int] = {}
        streamer: asyncio.Task[None] | None = None
        try:
            while line := await reader.readline():
                words = line.decode("ascii", "replace").split()
                reply = self._answer(words, subscribed)
                writer.write(e4.encode_command(reply))
                await writer.drain()
                if streamer is None and subscribed:
                    streamer = asyncio.create_task(self._stream(writer, subscribed))
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            if streamer is not None:
                streamer.cancel()
                await asyncio.gather(streamer, return_exceptions=True)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
            self._clients.discard(task)

    def _answer(self, words: list[str], subscribed: dict[str, int]) -> str:
        if not words:
            return "R ERR empty command"
        command = words[0]
        if command == "device_list":
            return f"R device_list 1 | {self.device_id} Empatica_E4"
        if command == "device_connect":
            if words[1:2] != [self.device_id]:
                return "R device_connect ERR The device requested for connection is not available."
            return "R device_connect OK"
        if command == "device_subscribe" and len(words) == 3 and words[1] in _RATES:
            if words[2] == "ON":
                subscribed[words[1]] = self._due(_RATES[words[1]][1])
            else:
                subscribed.pop(words[1], None)
            return f"R device_subscribe {words[1]} OK"
        return f"R {command} ERR unknown command"

    def _value(self, stream: str, n: int) -> str:
        if self.wearer is None:
            return _values(stream, n, self.battery)
        return _wearer_values(self.wearer, stream, n, self.battery)

    async def _stream(self, writer: asyncio.StreamWriter, subscribed: dict[str, int]) -> None:
        while True:
            lines = []
            for stream, next_n in list(subscribed.items()):
                prefix, rate = _RATES[stream]
                due = self._due(rate)
                for n in range(next_n, due):
                    t = self.t0_unix_s + n / rate
                    lines.append(f"{prefix} {t:.6f} {self._value(stream, n)}".rstrip())
                subscribed[stream] = max(next_n, due)
            if lines:
                writer.write(("\r\n".join(lines) + "\r\n").encode("ascii"))
                await writer.drain()
            await asyncio.sleep(1 / 32 / self.speed)
