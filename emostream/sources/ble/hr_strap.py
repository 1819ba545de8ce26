"""Any chest strap with the standard Heart Rate Service: HR, contact, energy and RR."""

from __future__ import annotations

from typing import ClassVar

from bleak import BleakClient

from emostream.core.chunk import Chunk
from emostream.sources.ble.driver import BleDriver, HeartRateStreams


class HeartRateStrap(BleDriver):
    CHANNELS: ClassVar[dict[str, int | tuple[str, ...]]] = {"HR": HeartRateStreams.LABELS, "RR": 1}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.heart = HeartRateStreams(self)

    async def start(self, client: BleakClient) -> None:
        await self.heart.start(client)

    def decode(self, key: object, arrival_s: float, payload: bytes) -> list[Chunk]:
        return self.heart.decode(arrival_s, payload)
