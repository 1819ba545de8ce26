"""Polar H10: ECG (and ACC) over PMD, HR/RR over the standard Heart Rate Service.

Start sequence (PROTOCOLS.md §2): read the control point's feature bitmap, subscribe to the
control point (indications) and the data characteristic, then write START per measurement
and wait for its `F0 02 <type> <status>` response. Sample times come from the device clock
(ns since 2000) mapped onto the LSL clock by `PolarClockMap`.
"""

from __future__ import annotations

import asyncio
from typing import ClassVar

import numpy as np
from bleak import BleakClient

from emostream.core.chunk import Chunk
from emostream.protocols import MalformedPacket, pmd
from emostream.sources.ble.driver import BleDriver, HeartRateStreams
from emostream.sources.device_errors import (
    ConnectionLostError,
    DeviceInChargerError,
    DeviceRefusedError,
)
from emostream.timing import PolarClockMap

_KINDS = {pmd.Measurement.ECG: "ECG", pmd.Measurement.ACC: "ACC"}
#: a frame whose device time maps this far from its arrival has a corrupt timestamp
MAX_FRAME_JUMP_S = 2.0
#: this many such frames in a row mean the device clock itself was reset
MAX_WILD_FRAMES = 50
_SETTINGS = {pmd.Measurement.ECG: pmd.ECG_SETTINGS, pmd.Measurement.ACC: pmd.ACC_SETTINGS}


class PolarH10(BleDriver):
    CHANNELS: ClassVar[dict[str, int | tuple[str, ...]]] = {
        "ECG": 1,
        "ACC": 3,
        "HR": HeartRateStreams.LABELS,
        "RR": 1,
    }

    def __init__(self, *args, response_timeout_s: float = 5.0, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.heart = HeartRateStreams(self)
        self.clock = PolarClockMap()
        self.response_timeout_s = response_timeout_s
        self._responses: asyncio.Queue[bytes] = asyncio.Queue(16)
        self._previous_ns: dict[pmd.Measurement, int | None] = {}
        self._wild_run = 0

    def reset(self) -> None:
        # the device clock keeps running across reconnects, so the clock fit is kept; the
        # interval since the last frame spans the gap, so per-frame spreading restarts
        self._previous_ns = {}
        while not self._responses.empty():
            self._responses.get_nowait()

    async def start(self, client: BleakClient) -> None:
        features = pmd.decode_features(bytes(await client.read_gatt_char(pmd.CONTROL_UUID)))
        wanted = [m for m, kind in _KINDS.items() if self.spec(kind) is not None]
        if isinstance(features, MalformedPacket):
            raise DeviceRefusedError(self.address, "PMD feature read", -1, features.reason)
        missing = [m.name for m in wanted if m not in features]
        if missing:
            raise DeviceRefusedError(
                self.address, "PMD start", 3, f"device does not offer {', '.join(missing)}"
            )
        await client.start_notify(pmd.CONTROL_UUID, lambda _s, data: self._on_response(bytes(data)))
        await client.start_notify(pmd.DATA_UUID, self.notifier("pmd"))
        if self.spec("HR") is not None or self.spec("RR") is not None:
            await self.heart.start(client)
        for measurement in wanted:
            await client.write_gatt_char(
                pmd.CONTROL_UUID,
                pmd.encode_start(measurement, _SETTINGS[measurement]),
                response=True,
            )
            await self._expect_ok(f"START {measurement.name}")

    def _on_response(self, data: bytes) -> None:
        try:
            self._responses.put_nowait(data)
        except asyncio.QueueFull:
            self.n_dropped += 1

    async def _expect_ok(self, command: str) -> None:
        try:
            async with asyncio.timeout(self.response_timeout_s):
                raw = await self._responses.get()
        except TimeoutError:
            raise ConnectionLostError(
                self.address, f"no answer to {command} within {self.response_timeout_s:g} s"
            ) from None
        response = pmd.decode_control_response(raw)
        if isinstance(response, MalformedPacket):
            raise DeviceRefusedError(self.address, command, -1, response.reason)
        if response.status in (pmd.SUCCESS, pmd.ALREADY_IN_STATE):
            return
        error = DeviceInChargerError if response.status == pmd.IN_CHARGER else DeviceRefusedError
        raise error(self.address, command, response.status, response.message)

    def _frame_ns(
        self, kind: str, timestamp_ns: int, n: int, fs_hz: float, arrival_s: float,
        previous_ns: int | None,
    ) -> int | None:  # fmt: skip
        """The frame's device time, added to the clock fit. A time that the fit maps further
        than MAX_FRAME_JUMP_S from the frame's arrival (a corrupt timestamp) is counted,
        re-stamped from the rate and kept out of the fit (None: dropped, when there is no
        previous frame to count from); after MAX_WILD_FRAMES such frames in a row the device
        clock is taken to have been reset and the fit restarts."""
        wild = (
            self.clock.fit.n > 0
            and abs(float(self.clock.to_lsl(np.array([timestamp_ns]))[0]) - arrival_s)
            > MAX_FRAME_JUMP_S
        )
        self._wild_run = self._wild_run + 1 if wild else 0
        if self._wild_run > MAX_WILD_FRAMES:
            self.clock.fit.reset()
            self._wild_run, wild = 0, False
        if not wild:
            self.clock.add_frame(timestamp_ns, arrival_s)
            return timestamp_ns
        stats = self._guards[kind].stats
        stats.n_jumps += 1
        if previous_ns is None:
            stats.n_dropped += n
            return None
        stats.n_repaired += n
        return previous_ns + round(n * 1e9 / fs_hz)

    def decode(self, key: object, arrival_s: float, payload: bytes) -> list[Chunk]:
        if key == "hrs":
            return self.heart.decode(arrival_s, payload)
        frame = pmd.decode_frame(payload)
        if not self.count("pmd", frame) or isinstance(frame, MalformedPacket):
            return []
        kind = _KINDS.get(frame.measurement)
        spec = self.spec(kind) if kind else None
        if kind is None or spec is None:
            return []
        n = len(frame.samples)
        previous_ns = self._previous_ns.get(frame.measurement)
        frame_ns = self._frame_ns(kind, frame.timestamp_ns, n, spec.rate_hz, arrival_s, previous_ns)
        if frame_ns is None:
            return []
        device_ns = pmd.sample_times_ns(frame_ns, n, spec.rate_hz, previous_ns)
        self._previous_ns[frame.measurement] = frame_ns
        chunk = self.chunk(
            kind,
            self.clock.to_lsl(device_ns),
            frame.samples.astype(np.float64),
            np.full(n, arrival_s),
        )
        return [chunk] if chunk is not None else []
