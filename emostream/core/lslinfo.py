"""Conversion between StreamSpec and pylsl.StreamInfo, with XDF channel meta-data.

Only technical fields go into a StreamInfo: LSL advertises it to the whole local network, so
no subject id, name or other personal identifier may ever be put here.
"""

from __future__ import annotations

import pylsl

from emostream import __version__
from emostream.core.spec import StreamSpec

_FORMATS = {
    "float32": pylsl.cf_float32,
    "double64": pylsl.cf_double64,
    "int32": pylsl.cf_int32,
    "int16": pylsl.cf_int16,
    "string": pylsl.cf_string,
}
_FORMAT_NAMES = {v: k for k, v in _FORMATS.items()}


def spec_to_info(spec: StreamSpec, manufacturer: str = "", model: str = "") -> pylsl.StreamInfo:
    """StreamInfo with desc/channels/channel/{label,unit,type} and desc/acquisition."""
    info = pylsl.StreamInfo(
        spec.name,
        spec.kind,
        spec.n_channels,
        spec.rate_hz,
        _FORMATS[spec.channel_format],
        spec.source_id,
    )
    desc = info.desc()
    channels = desc.append_child("channels")
    for label, unit, kind in zip(spec.channels, spec.units, spec.types, strict=True):
        ch = channels.append_child("channel")
        ch.append_child_value("label", label)
        ch.append_child_value("unit", unit)
        ch.append_child_value("type", kind)
    acq = desc.append_child("acquisition")
    acq.append_child_value("manufacturer", manufacturer or "emostream")
    if model:
        acq.append_child_value("model", model)
    acq.append_child_value("software", f"emostream {__version__}")
    return info


def info_to_spec(info: pylsl.StreamInfo) -> StreamSpec:
    """StreamSpec from a (full) StreamInfo; missing channel meta-data gets ch1..chN labels."""
    n = info.channel_count()
    labels: list[str] = []
    units: list[str] = []
    types: list[str] = []
    ch = info.desc().child("channels").child("channel")
    while not ch.empty() and len(labels) < n:
        labels.append(ch.child_value("label") or f"ch{len(labels) + 1}")
        units.append(ch.child_value("unit"))
        types.append(ch.child_value("type") or info.type())
        ch = ch.next_sibling("channel")
    if len(labels) != n:
        labels = [f"ch{i + 1}" for i in range(n)]
        units = [""] * n
        types = [info.type()] * n
    source_id = info.source_id() or f"lsl-{info.uid()}"
    fmt = _FORMAT_NAMES.get(info.channel_format(), "double64")
    return StreamSpec(
        kind=info.type(),
        name=info.name(),
        channels=tuple(labels),
        units=tuple(units),
        rate_hz=float(info.nominal_srate()),
        source_id=source_id,
        channel_format=fmt,
        channel_types=tuple(types),
    )
