"""Empatica E4 through the E4 streaming server (TCP, ASCII lines): EDA, BVP, IBI, TEMP, ACC,
HR and tags, with supervised reconnect.

Handshake (PROTOCOLS.md §4): `device_list` (when no device id is given), `device_connect
<id>`, then `device_subscribe <stream> ON` per stream, each answered by `R … OK`. Data lines
carry unix time; they are put on the LSL clock with the unix−LSL offset measured at connect.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import numpy as np

from emostream.core.chunk import Chunk
from emostream.core.clock import lsl_now_s, lsl_to_unix_offset_s
from emostream.core.events import SourceEvent
from emostream.core.spec import StreamSpec
from emostream.core.timestamps import TimestampGuard, TimestampStats
from emostream.errors import ConfigError
from emostream.profiles import DeviceProfile, device_pseudonym
from emostream.protocols import MalformedPacket, PacketStats, e4
from emostream.sources.base import Source
from emostream.sources.device_errors import (
    ConnectionLostError,
    DeviceNotFoundError,
    DeviceRefusedError,
)
from emostream.sources.supervisor import BackoffPolicy, Connected, LinkStatus, Supervisor
from emostream.timing import MonotonicStamps

log = logging.getLogger(__name__)


_READ_BYTES = 1 << 16


class E4StreamingClient(Source):
    """A client of the E4 streaming server on `host:port` for one E4 (`device_id`, or the
    first one the server lists)."""

    def __init__(
        self,
        profile: DeviceProfile,
        device_id: str | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = e4.DEFAULT_PORT,
        policy: BackoffPolicy | None = None,
        timeout_s: float = 5.0,
        stall_timeout_s: float = 5.0,
        battery_low_pct: int = 15,
        seed: int | None = None,
    ) -> None:
        self.profile = profile
        self.device_id = device_id
        self.host = host
        self.port = port
        self.timeout_s = timeout_s
        self.stall_timeout_s = stall_timeout_s
        self.battery_low_pct = battery_low_pct
        self._specs = profile.stream_specs(
            device_pseudonym(device_id) if device_id else f"{host}-{port}"
        )
        self._by_kind = {spec.kind: spec for spec in self._specs}
        for spec in self._specs:
            expected = e4.BY_KIND.get(spec.kind)
            if expected is None or expected.n_channels != spec.n_channels:
                raise ConfigError(
                    f"the E4 client cannot give {spec.kind} with {spec.n_channels} channel(s); "
                    f"it gives {', '.join(f'{k} ({s.n_channels} ch)' for k, s in e4.BY_KIND.items())}",
                    file=profile.path,
                    key=f"streams.{spec.name}",
                )
        self.stats = PacketStats()
        self.status = LinkStatus()
        self._guards = {spec.kind: TimestampGuard(spec.rate_hz) for spec in self._specs}
        self._stamps = {spec.kind: MonotonicStamps() for spec in self._specs}
        self._writer: asyncio.StreamWriter | None = None
        self.supervisor = Supervisor(
            self._session, self._specs, name=f"E4 {device_id or ''}@{host}:{port}",
            policy=policy, seed=seed, status=self.status,
        )  # fmt: skip

    @property
    def specs(self) -> tuple[StreamSpec, ...]:
        return self._specs

    async def events(self) -> AsyncIterator[SourceEvent]:
        async for event in self.supervisor.events():
            yield event

    async def aclose(self) -> None:
        self.supervisor.close()
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.close()

    # -- session -----------------------------------------------------------------------------
    async def _session(self) -> AsyncIterator[Chunk | Connected]:
        try:
            async with asyncio.timeout(self.timeout_s):
                reader, writer = await asyncio.open_connection(self.host, self.port)
        except (OSError, TimeoutError) as exc:
            raise DeviceNotFoundError(
                f"{self.host}:{self.port}",
                self.timeout_s,
                "start the E4 streaming server and check its host and port",
                reason=f"is not reachable ({exc or 'timed out'})",
            ) from exc
        self._writer = writer
        try:
            device = self.device_id or await self._first_device(reader, writer)
            await self._command(reader, writer, f"device_connect {device}")
            for spec in self._specs:
                await self._command(
                    reader, writer, f"device_subscribe {e4.BY_KIND[spec.kind].subscription} ON"
                )
            await self._command(reader, writer, "device_subscribe bat ON", required=False)
            offset_s = lsl_to_unix_offset_s()
            yield Connected(f"E4 {device}")
            async for chunk in self._read(reader, offset_s):
                yield chunk
        finally:
            self._writer = None
            writer.close()

    async def _reply(self, reader: asyncio.StreamReader, command: str) -> e4.Reply:
        """The reply to `command`; data lines arriving meanwhile are skipped."""
        async with asyncio.timeout(self.timeout_s):
            while True:
                line = await reader.readline()
                if not line:
                    raise ConnectionLostError(
                        f"{self.host}:{self.port}", "the server closed the connection"
                    )
                result = e4.decode_line(line)
                if isinstance(result, e4.Reply) and result.command == command:
                    return result

    async def _command(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        text: str,
        required: bool = True,
    ) -> e4.Reply:
        writer.write(e4.encode_command(text))
        await writer.drain()
        try:
            reply = await self._reply(reader, text.split()[0])
        except TimeoutError:
            if not required:
                return e4.Reply(text.split()[0], ("ERR", "no", "answer"))
            raise ConnectionLostError(
                f"{self.host}:{self.port}", f"no answer to '{text}'"
            ) from None
        if reply.error and required:
            raise DeviceRefusedError(self.device_id or "E4", text, -1, " ".join(reply.words))
        return reply

    async def _first_device(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> str:
        reply = await self._command(reader, writer, "device_list")
        # R device_list <n> | <id> <name> [allowed] | …
        entries = [part.split() for part in " ".join(reply.words).split("|")[1:]]
        devices = [entry[0] for entry in entries if entry]
        if not devices:
            raise DeviceNotFoundError(
                "E4",
                self.timeout_s,
                "switch the wristband on and connect it in the streaming server",
                reason="is not listed by the streaming server",
            )
        return devices[0]

    async def _read(self, reader: asyncio.StreamReader, offset_s: float) -> AsyncIterator[Chunk]:
        pending = b""
        while True:
            try:
                async with asyncio.timeout(self.stall_timeout_s):
                    data = await reader.read(_READ_BYTES)
            except TimeoutError:
                raise ConnectionLostError(
                    self.device_id or "E4", f"no data for {self.stall_timeout_s:g} s"
                ) from None
            if not data:
                raise ConnectionLostError(
                    self.device_id or "E4", "the server closed the connection"
                )
            *lines, pending = (pending + data).split(b"\n")
            if len(pending) > _READ_BYTES:
                self.stats.reject(MalformedPacket("e4", "line longer than 64 KiB", pending))
                pending = b""
            for chunk in self._decode(lines, lsl_now_s(), offset_s):
                yield chunk

    def _decode(self, lines: list[bytes], arrival_s: float, offset_s: float) -> list[Chunk]:
        rows: dict[str, tuple[list[float], list[tuple]]] = {}
        for line in lines:
            result = e4.decode_line(line)
            if isinstance(result, MalformedPacket):
                self.stats.reject(result)
                continue
            self.stats.accept()
            if isinstance(result, e4.Reply):
                if "lost" in result.text or "disconnected" in result.text:
                    raise ConnectionLostError(self.device_id or "E4", result.text)
                continue
            if result.kind == "battery":
                rows.setdefault("battery", ([], []))[1].append(result.values)
                continue
            values = (1000.0 * result.values[0],) if result.kind == "RR" else result.values
            ts, data = rows.setdefault(result.kind, ([], []))
            ts.append(result.t_unix_s - offset_s)
            data.append(values or ("tag",))
        battery = rows.pop("battery", None)
        chunks = [
            c for kind, (ts, data) in rows.items() if (c := self._chunk(kind, ts, data, arrival_s))
        ]
        if battery is not None:
            level = battery[1][-1][0]  # the server sends 0..1
            pct = round(100 * level) if level <= 1.0 else round(level)
            if (marker := self.supervisor.battery(pct, self.battery_low_pct)) is not None:
                chunks.append(marker)
        return chunks

    def _chunk(
        self, kind: str, ts: list[float], data: list[tuple], arrival_s: float
    ) -> Chunk | None:
        spec = self._by_kind.get(kind)
        if spec is None:
            return None
        guarded = self._guards[kind].apply(np.asarray(ts, dtype=np.float64), arrival_s)
        if guarded.keep is not None:
            data = [row for row, kept in zip(data, guarded.keep, strict=True) if kept]
        if not guarded.timestamps.size:
            return None
        stamps = self._stamps[kind].apply(guarded.timestamps)
        arrival = np.full(stamps.shape, arrival_s)
        if spec.is_markers:
            return Chunk.from_arrays(spec, stamps, [row[0] for row in data], arrival)
        return Chunk(spec, stamps, np.asarray(data, dtype=np.float64), arrival)

    def timestamp_stats(self) -> dict[str, TimestampStats]:
        return {self._by_kind[kind].source_id: g.stats for kind, g in self._guards.items()}
