"""Device profiles: `devices/<name>.toml` describes a device's transport, streams and driver.

A new LSL device needs only a profile. Profiles are validated strictly: an unknown key, a
wrong type or a missing key is a ConfigError naming the file and the key.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from emostream import bundled
from emostream.config import check_range, load_toml, parse_dataclass
from emostream.core.spec import StreamSpec
from emostream.errors import ConfigError, StreamError

Transport = Literal["ble", "lsl", "e4-tcp", "synthetic"]


@dataclass(frozen=True)
class DeviceInfo:
    name: str
    description: str
    transport: Transport
    driver: str
    manufacturer: str = ""
    model: str = ""
    #: BLE advertising-name prefixes that identify this device in `devices scan`
    ble_names: tuple[str, ...] = ()
    #: processing latency of the producer (e.g. a face tracker), subtracted from timestamps
    latency_s: float = 0.0

    def __post_init__(self) -> None:
        check_range("latency_s", self.latency_s, 0.0, 60.0)


@dataclass(frozen=True)
class StreamEntry:
    kind: str
    name: str
    channels: tuple[str, ...]
    units: tuple[str, ...]
    rate_hz: float
    channel_format: str = "float32"
    #: per-channel types (default: the stream kind); e.g. "MISC" for a counter channel
    channel_types: tuple[str, ...] = ()
    #: LSL resolution for transport = "lsl": match on these properties (empty = the name)
    match_type: str = ""
    match_source_id: str = ""
    optional: bool = False

    def __post_init__(self) -> None:
        check_range("rate_hz", self.rate_hz, 0.0, 1e6)


@dataclass(frozen=True)
class DeviceProfile:
    device: DeviceInfo
    streams: tuple[StreamEntry, ...] = field(default=())
    path: Path | None = None

    @property
    def name(self) -> str:
        return self.device.name

    def stream_specs(self, instance_id: str) -> tuple[StreamSpec, ...]:
        """Specs of this device's streams; `instance_id` (serial, MAC, seed) makes source_ids stable
        and unique. It must not identify a person: pass hardware identifiers through
        `device_pseudonym`."""
        specs = []
        for i, entry in enumerate(self.streams):
            try:
                specs.append(
                    StreamSpec(
                        kind=entry.kind,
                        name=entry.name,
                        channels=entry.channels,
                        units=entry.units,
                        rate_hz=entry.rate_hz,
                        source_id=f"{self.name}:{instance_id}:{entry.kind.lower()}",
                        channel_format=entry.channel_format,
                        channel_types=entry.channel_types,
                    )
                )
            except StreamError as exc:
                raise ConfigError(str(exc), file=self.path, key=f"streams[{i}]") from None
        return tuple(specs)


@dataclass(frozen=True)
class _ProfileFile:
    device: DeviceInfo
    streams: tuple[StreamEntry, ...] = ()


def load_profile(name_or_path: str | Path) -> DeviceProfile:
    """Load a profile by path, or by name (./devices/<name>.toml, else the bundled one)."""
    path = Path(name_or_path)
    if path.suffix != ".toml":
        found = bundled.find("devices", str(name_or_path))
        if found is None:
            known = ", ".join(list_profiles()) or "none"
            raise ConfigError(
                f"no device profile named '{name_or_path}' (known profiles: {known}); "
                f"add devices/{name_or_path}.toml or fix the name"
            )
        path = found
    parsed = parse_dataclass(_ProfileFile, load_toml(path), file=path)
    if parsed.device.name != path.stem:
        raise ConfigError(
            f"device name '{parsed.device.name}' must equal the file name '{path.stem}'",
            file=path,
            key="device.name",
        )
    for i, entry in enumerate(parsed.streams):
        if len(entry.units) != len(entry.channels):
            raise ConfigError("give one unit per channel", file=path, key=f"streams[{i}].units")
    profile = DeviceProfile(parsed.device, parsed.streams, path)
    profile.stream_specs("check")  # a bad channel format or label is reported now, not live
    return profile


def list_profiles() -> list[str]:
    return bundled.names("devices")


def device_pseudonym(instance_id: str) -> str:
    """A stable stand-in for a device's serial or address (12 hex digits of its SHA-256): a
    hardware address is a lasting identifier of whoever wears the device, and source_ids are
    visible on the whole network."""
    return hashlib.sha256(f"emostream-device:{instance_id}".encode()).hexdigest()[:12]
