"""E4 streaming-server client against a loopback server speaking the protocol."""

from __future__ import annotations

import asyncio

import numpy as np
import pylsl
import pytest

from emostream.core.clock import lsl_now_s
from emostream.profiles import load_profile
from emostream.sources.device_errors import DeviceNotFoundError, DeviceRefusedError
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


def test_the_e4_profile_follows_the_protocols_stream_table():
    from emostream.protocols.e4 import BY_KIND

    profile = load_profile("empatica-e4")
    assert {s.kind for s in profile.streams} == set(BY_KIND)
    for entry in profile.streams:
        stream = BY_KIND[entry.kind]
        assert (len(entry.channels), entry.rate_hz) == (stream.n_channels, stream.rate_hz)
