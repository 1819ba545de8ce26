"""E4 streaming-server client against a loopback server speaking the protocol."""

from __future__ import annotations

import asyncio

import numpy as np
import pylsl
import pytest

from emostream.core.chunk import Chunk
from emostream.core.clock import lsl_now_s, lsl_to_unix_offset_s
from emostream.profiles import load_profile
from emostream.sources.device_errors import (
    ConnectionLostError,
    DeviceNotFoundError,
    DeviceRefusedError,
)
from emostream.sources.e4_tcp import E4StreamingClient
from emostream.testing.e4_server import VirtualE4Server
from tests.sources.ble.harness import Inlet, pumping, run


def test_streams_reach_a_plain_inlet_and_survive_a_server_restart() -> None:
    async def body() -> None:
        server = VirtualE4Server(speed=4.0, battery=0.1)
        await server.start()
        client = E4StreamingClient(
            load_profile("empatica-e4"), port=server.port, stall_timeout_s=2.0
        )
        async with pumping(client) as pump:
            bvp = Inlet(client.specs[1].source_id)
            await bvp.open()
            await bvp.until(300)
            await pump.until(lambda: len(pump.chunks("RR")) > 0 and "tag" in pump.markers())
            assert client.status.battery_pct == 10
            await server.stop()
            await pump.until(lambda: any(m.startswith("disconnected") for m in pump.markers()))
            n_before = len(bvp.timestamps)
            await server.start()
            returned_at = lsl_now_s()
            await pump.until(lambda: bool(pump.gaps()))
            await bvp.until(n_before + 100)
            await server.stop()
        counter = bvp.data[:, 0]
        assert np.all(np.diff(counter) >= 1)  # nothing duplicated
        assert np.all(np.diff(bvp.ts) > 0)
        assert abs(bvp.ts[-1] - pylsl.local_clock()) < 30.0
        assert pump.gaps()[0].t_to_s - returned_at < 5.0
        assert {g.source_id for g in pump.gaps()} == {
            s.source_id for s in client.specs if not s.is_markers
        }
        rr = np.concatenate([c.data[:, 0] for c in pump.chunks("RR")])
        assert np.all((rr >= 800) & (rr <= 990))  # IBI seconds → ms
        assert "battery low: 10 %" in pump.markers()
        assert "tag" in pump.markers()
        assert client.stats.rejected == 0

    run(body())


def test_unknown_device_and_absent_server_are_clear_errors() -> None:
    async def body() -> None:
        server = VirtualE4Server(device_id="9ff167")
        await server.start()
        client = E4StreamingClient(load_profile("empatica-e4"), "abc123", port=server.port)
        with pytest.raises(DeviceRefusedError, match="not available"):
            async for _ in client.events():
                pass
        await server.stop()
        client = E4StreamingClient(load_profile("empatica-e4"), port=server.port, timeout_s=1.0)

        async def drain() -> None:
            async for _ in client.events():
                pass

        with pytest.raises(DeviceNotFoundError, match="streaming server"):  # at once, no retries
            await asyncio.wait_for(drain(), timeout=30.0)

    run(body())


def test_a_line_split_across_two_reads_is_decoded_whole() -> None:
    """TCP may cut a line anywhere: its two halves, from two reads, make one sample."""

    async def body() -> None:
        client = E4StreamingClient(load_profile("empatica-e4"), "9ff167")
        offset_s = lsl_to_unix_offset_s()
        t_s = lsl_now_s() + offset_s
        reader = asyncio.StreamReader()
        reader.feed_data(f"E4_Gsr {t_s:.6f} 0.50\r\nE4_Gsr {t_s + 0.25:.6f} 0.".encode())
        reads = client._read(reader, offset_s)
        chunks: list[Chunk] = [await anext(reads)]
        reader.feed_data(f"75\r\nE4_Gsr {t_s + 0.5:.6f} 1.00\r\n".encode())
        reader.feed_eof()
        with pytest.raises(ConnectionLostError, match="closed the connection"):
            async for chunk in reads:
                chunks.append(chunk)
        assert np.concatenate([c.data[:, 0] for c in chunks]).tolist() == [0.5, 0.75, 1.0]
        assert client.stats.rejected == 0

    run(body())


def test_a_low_battery_is_marked_once() -> None:
    """The server sends the level (0..1) every few seconds; only the first low one is marked,
    an empty battery (0 %) included."""
    client = E4StreamingClient(load_profile("empatica-e4"), "9ff167")
    markers: list[str] = []
    for level in ("0.50", "0.12", "0.11", "0.00", "0.00", "0.10"):
        line = f"E4_Battery 1600000000.0 {level}".encode()
        markers += [str(c.data[0, 0]) for c in client._decode([line], 1.0, 0.0)]
    assert markers == ["battery low: 12 %"]
    assert client.status.battery_pct == 10


def test_the_servers_notice_of_a_lost_wristband_drops_the_link() -> None:
    """The supervisor reconnects on a ConnectionLostError, and names the server's notice."""
    client = E4StreamingClient(load_profile("empatica-e4"), "9ff167")
    with pytest.raises(ConnectionLostError, match="connection lost to device 9ff167"):
        client._decode([b"R connection lost to device 9ff167"], 1.0, 0.0)


def test_the_e4_profile_follows_the_protocols_stream_table():
    from emostream.protocols.e4 import BY_KIND

    profile = load_profile("empatica-e4")
    assert {s.kind for s in profile.streams} == set(BY_KIND)
    for entry in profile.streams:
        stream = BY_KIND[entry.kind]
        assert (len(entry.channels), entry.rate_hz) == (stream.n_channels, stream.rate_hz)
