"""Muse classic protocol (Muse 2016 / Muse 2): TP9, AF7, AF8, TP10 and AUX at 256 Hz.

Samples are assembled by packet index across the five EEG characteristics and timed by a
running least-squares fit of sample number against arrival (`PacketClock`). A keep-alive
('k') goes out every `tick_s`.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from bleak import BleakClient

from emostream.core.chunk import Chunk
from emostream.protocols import MalformedPacket, muse
from emostream.sources.ble.driver import BleDriver
from emostream.timing import PacketClock


class Muse(BleDriver):
    CHANNELS: ClassVar[dict[str, int | tuple[str, ...]]] = {"EEG": len(muse.EEG_UUIDS)}

    def __init__(self, *args, preset: str | None = "p21", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.preset = preset
        self.assembler = muse.PacketAssembler()
        self.unwrapper = muse.IndexUnwrapper()
        self.clock = PacketClock(muse.FS_HZ)

    def reset(self) -> None:
        # a restarted stream may restart its packet index: start fit and assembly afresh
        self.assembler.reset()
        self.unwrapper.reset()
        self.clock.reset()

    async def start(self, client: BleakClient) -> None:
        await client.start_notify(muse.CONTROL_UUID, lambda _s, _d: None)
        for channel, uuid in enumerate(muse.EEG_UUIDS):
            await client.start_notify(uuid, self.notifier(channel))
        await client.write_gatt_char(muse.CONTROL_UUID, muse.STOP, response=False)
        if self.preset:
            await client.write_gatt_char(
                muse.CONTROL_UUID, muse.encode_command(self.preset), response=False
            )
        await client.write_gatt_char(muse.CONTROL_UUID, muse.START, response=False)

    async def tick(self, client: BleakClient) -> None:
        await client.write_gatt_char(muse.CONTROL_UUID, muse.KEEP_ALIVE, response=False)

    def decode(self, key: object, arrival_s: float, payload: bytes) -> list[Chunk]:
        packet = muse.decode_eeg(payload)
        if not self.count("eeg", packet) or isinstance(packet, MalformedPacket):
            return []
        index = self.unwrapper.unwrap(packet.index)
        out = []
        for assembled in self.assembler.add(int(key), index, packet, arrival_s):  # type: ignore[call-overload]
            samples = assembled.index * muse.SAMPLES_PER_PACKET + np.arange(muse.SAMPLES_PER_PACKET)
            self.clock.add_packet(int(samples[-1]), assembled.arrival_s)
            arrival = np.full(muse.SAMPLES_PER_PACKET, assembled.arrival_s)
            chunk = self.chunk("EEG", self.clock.to_lsl(samples), assembled.microvolts, arrival)
            if chunk is not None:
                out.append(chunk)
        return out
