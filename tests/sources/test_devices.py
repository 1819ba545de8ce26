"""Building wearable sources from profiles and pipeline `[[sources]]` entries."""

from __future__ import annotations

import pytest

from emostream.core.chunk import Chunk
from emostream.errors import ConfigError, UsageError
from emostream.pipeline.build import build_device_source
from emostream.profiles import load_profile
from emostream.sources.ble import Muse, PolarH10
from emostream.sources.config import SourceConfig
from emostream.sources.e4_tcp import E4StreamingClient
from emostream.sources.factory import Connection, parse_e4_address
from emostream.testing.simulate import SimulatedDevice
from tests.sources.ble.harness import run


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("9ff167", Connection(address="9ff167")),
        ("9ff167@10.0.0.5:28001", Connection(address="9ff167", host="10.0.0.5", port=28001)),
        ("localhost", Connection(address=None, host="localhost", port=28000)),
        ("127.0.0.1:29000", Connection(address=None, host="127.0.0.1", port=29000)),
    ],
)
def test_e4_addresses(address: str, expected: Connection) -> None:
    assert parse_e4_address(address) == expected


def test_bad_e4_port_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="port"):
        parse_e4_address("host:abc")


def test_pipeline_entries_build_the_right_driver() -> None:
    polar = build_device_source(
        load_profile("polar-h10"), SourceConfig("polar-h10", address="A0:9E:1A:00:00:01")
    )
    assert isinstance(polar, PolarH10)
    source_id = polar.specs[0].source_id
    # stable and device-based, but the address itself never reaches the network
    assert source_id.startswith("polar-h10:") and source_id.endswith(":ecg")
    assert "A0:9E" not in source_id and "a09e" not in source_id.lower()
    again = build_device_source(
        load_profile("polar-h10"), SourceConfig("polar-h10", address="A0:9E:1A:00:00:01")
    )
    other = build_device_source(
        load_profile("polar-h10"), SourceConfig("polar-h10", address="A0:9E:1A:00:00:02")
    )
    assert again.specs[0].source_id == source_id != other.specs[0].source_id
    e4 = build_device_source(
        load_profile("empatica-e4"), SourceConfig("empatica-e4", address="9ff167")
    )
    assert isinstance(e4, E4StreamingClient)
    with pytest.raises(ConfigError, match="address"):
        build_device_source(load_profile("muse"), SourceConfig("muse"))
    with pytest.raises(UsageError, match="transport 'lsl'"):
        build_device_source(load_profile("lsl-generic"), SourceConfig("lsl-generic"))


def test_simulated_pipeline_source_streams_with_stable_specs() -> None:
    source = build_device_source(load_profile("muse"), SourceConfig("muse", address="simulate"))
    assert isinstance(source, SimulatedDevice)
    specs = source.specs

    async def body() -> Chunk:
        async for event in source.events():
            if isinstance(event, Chunk):
                await source.aclose()
                return event
        raise AssertionError("no data")

    assert source.status.state == "connecting"
    chunk = run(body(), 30)
    assert source.status.state == "streaming" and source.status.battery_pct == 85
    assert chunk.spec in specs and chunk.spec.kind == "EEG"
    assert Muse.CHANNELS["EEG"] == chunk.data.shape[1]
