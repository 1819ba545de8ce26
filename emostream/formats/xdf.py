"""XDF files: read with pyxdf (its clock-sync and dejitter options), written vectorised.

pyxdf recovers what it can from a truncated or corrupt file (it scans forward to the next
boundary chunk and logs the damage); what it reports is kept in `meta["damage"]`. A stream
with a non-finite timestamp is read undejittered, so that `salvage_timestamps` repairs only
the bad samples. A file it cannot parse at all gives a RecordingError naming the file.
"""

from __future__ import annotations

import logging
import re
import struct
import uuid
from pathlib import Path
from typing import Any, BinaryIO
from xml.sax.saxutils import escape

import numpy as np

from emostream.core.spec import IRREGULAR_RATE, StreamSpec
from emostream.errors import RecordingError
from emostream.formats.base import RecordedStream, Recording
from emostream.formats.session.layout import unique_key
from emostream.formats.session.reader import DamagedRecordingError

MAGIC = b"XDF:"
_NUMERIC = {"float32": "<f4", "double64": "<f8", "int32": "<i4", "int16": "<i2"}
#: XDF formats StreamSpec has no name for, read as the nearest one
_WIDENED = {"int8": "int16", "int64": "double64"}
#: samples per Samples chunk when writing
_CHUNK_SAMPLES = 4096
_TAG_FILE_HEADER, _TAG_STREAM_HEADER, _TAG_SAMPLES = 1, 2, 3
_TAG_CLOCK_OFFSET, _TAG_BOUNDARY, _TAG_STREAM_FOOTER = 4, 5, 6
_BOUNDARY_UUID = uuid.UUID("43a5463f-ed8c-4b41-ab5c-d4271a8d7a6e").bytes  # fixed by the XDF spec


def detect(path: str | Path) -> bool:
    path = Path(path)
    if not path.is_file():
        return False
    if path.suffix.lower() == ".xdf":
        return True
    with path.open("rb") as fh:
        return fh.read(4) == MAGIC


def read(
    path: str | Path,
    *,
    synchronize_clocks: bool = True,
    dejitter_timestamps: bool = True,
    handle_clock_resets: bool = True,
    jitter_break_threshold_seconds: float = 1.0,
    select_streams: Any = None,
    partial: bool = False,
) -> Recording:
    """All streams of an XDF file, with pyxdf's clock synchronisation and dejittering.

    If pyxdf reports damage, raises DamagedRecordingError (everything before the damage in
    `.partial`) unless `partial`, which returns it with the damage in meta["damage"].
    """
    import pyxdf

    path = Path(path)
    if path.stat().st_size == 0:
        raise RecordingError("file is empty", file=path)
    with path.open("rb") as fh:
        if fh.read(4) != MAGIC:
            raise RecordingError("not an XDF file (it does not start with 'XDF:')", file=path)
    damage = _DamageLog()
    pyxdf_log = logging.getLogger("pyxdf.pyxdf")
    pyxdf_log.addHandler(damage)
    try:
        with np.errstate(invalid="ignore"):  # a non-finite timestamp is handled below
            raw_streams, header = pyxdf.load_xdf(
                str(path),
                select_streams=select_streams,
                synchronize_clocks=synchronize_clocks,
                dejitter_timestamps=dejitter_timestamps,
                handle_clock_resets=handle_clock_resets,
                jitter_break_threshold_seconds=jitter_break_threshold_seconds,
            )
            poisoned = [
                int(raw["info"]["stream_id"])
                for raw in raw_streams
                if not np.isfinite(np.asarray(raw.get("time_stamps", []), dtype=np.float64)).all()
            ]
            if poisoned and dejitter_timestamps:
                # pyxdf's dejitter spreads one non-finite timestamp over the whole stream: read
                # those streams' timestamps undejittered, so that only the bad ones need repair
                raw_ts = {
                    int(raw["info"]["stream_id"]): raw["time_stamps"]
                    for raw in pyxdf.load_xdf(
                        str(path),
                        select_streams=poisoned,
                        synchronize_clocks=synchronize_clocks,
                        dejitter_timestamps=False,
                        handle_clock_resets=handle_clock_resets,
                    )[0]
                }
                for raw in raw_streams:
                    raw["time_stamps"] = raw_ts.get(
                        int(raw["info"]["stream_id"]), raw["time_stamps"]
                    )
    except Exception as exc:  # pyxdf raises bare Exception/IOError/ValueError on bad files
        raise RecordingError(f"cannot read XDF: {exc}", file=path) from None
    finally:
        pyxdf_log.removeHandler(damage)
    streams: dict[str, RecordedStream] = {}
    devices: dict[str, dict[str, str]] = {}
    for raw in sorted(raw_streams, key=lambda s: int(s["info"]["stream_id"])):
        spec = _spec(raw["info"], path)
        key = unique_key(spec.kind, streams)
        streams[key] = _stream(spec, raw)
        devices[key] = _acquisition(raw["info"])
    if not streams:
        raise RecordingError("holds no streams", file=path)
    meta = {
        "format": "xdf",
        "path": str(path),
        "header": header.get("info", {}) if isinstance(header, dict) else {},
        "devices": devices,
        "damage": [f"{path}: {msg}" for msg in dict.fromkeys(damage.messages)],
    }
    recording = Recording(streams, None, meta)
    if damage.messages and not partial:
        raise DamagedRecordingError(
            f"{damage.messages[0]} ({len(streams)} stream(s) read up to the damage are kept; "
            "open it with partial=True or `--partial`)",
            file=path,
            partial=recording,
        )
    return recording


class _DamageLog(logging.Handler):
    """Collects what pyxdf reports about corrupt or truncated chunks."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        msg = record.getMessage()
        if re.search(r"corrupt|truncat|zero-length|scanning forward", msg, re.IGNORECASE):
            self.messages.append(msg)


def _first(info: dict[str, Any], key: str, default: str = "") -> str:
    value = info.get(key)
    if isinstance(value, list):
        value = value[0] if value else None
    return default if value is None else str(value)


def _spec(info: dict[str, Any], path: Path) -> StreamSpec:
    name = _first(info, "name", "stream")
    kind = _first(info, "type", "Misc") or "Misc"
    n = int(_first(info, "channel_count", "1"))
    fmt = _first(info, "channel_format", "float32")
    fmt = _WIDENED.get(fmt, fmt)
    labels: list[str] = []
    units: list[str] = []
    types: list[str] = []
    desc = info.get("desc")
    channels = None
    if isinstance(desc, list) and desc and isinstance(desc[0], dict):
        block = desc[0].get("channels")
        if isinstance(block, list) and block and isinstance(block[0], dict):
            channels = block[0].get("channel")
    if isinstance(channels, list) and len(channels) == n:
        for ch in channels:
            labels.append(_first(ch, "label") or f"ch{len(labels) + 1}")
            units.append(_first(ch, "unit"))
            types.append(_first(ch, "type") or kind)
    else:
        labels = [f"ch{i + 1}" for i in range(n)]
        units, types = [""] * n, [kind] * n
    source_id = _first(info, "source_id") or f"xdf-{path.stem}-{_first(info, 'stream_id')}"
    return StreamSpec(
        kind=kind,
        name=name,
        channels=tuple(labels),
        units=tuple(units),
        rate_hz=max(float(_first(info, "nominal_srate", "0")), IRREGULAR_RATE),
        source_id=re.sub(r"[^A-Za-z0-9_.:\-]", "_", source_id),
        channel_format=fmt,
        channel_types=() if all(t == kind for t in types) else tuple(types),
    )


def _stream(spec: StreamSpec, raw: dict[str, Any]) -> RecordedStream:
    ts = np.asarray(raw.get("time_stamps", []), dtype=np.float64).reshape(-1)
    series = raw.get("time_series")
    if spec.is_markers:
        data = np.empty((len(ts), spec.n_channels), dtype=object)
        if len(ts):
            assert series is not None  # pyxdf gives time stamps and series together
            data[:] = [[str(v) for v in row] for row in series]
    else:
        data = np.asarray(series if series is not None and len(ts) else np.zeros((0, 0)))
        data = data.reshape(len(ts), spec.n_channels)
    return RecordedStream(spec, ts, data)


def _acquisition(info: dict[str, Any]) -> dict[str, str]:
    desc = info.get("desc")
    if isinstance(desc, list) and desc and isinstance(desc[0], dict):
        acq = desc[0].get("acquisition")
        if isinstance(acq, list) and acq and isinstance(acq[0], dict):
            return {k: _first(acq[0], k) for k in ("manufacturer", "model") if _first(acq[0], k)}
    return {}


# -- writing -------------------------------------------------------------------------------------
def write(recording: Recording, path: str | Path, *, manufacturer: str = "") -> Path:
    """Write `recording` as an XDF 1.0 file (one Samples chunk per 4096 samples)."""
    path = Path(path)
    with path.open("wb") as fh:
        fh.write(MAGIC)
        _chunk(fh, _TAG_FILE_HEADER, b'<?xml version="1.0"?><info><version>1.0</version></info>')
        for stream_id, stream in enumerate(recording.streams.values(), start=1):
            sid = struct.pack("<I", stream_id)
            _chunk(fh, _TAG_STREAM_HEADER, sid + _header_xml(stream.spec, manufacturer))
            t0 = float(stream.timestamps[0]) if len(stream.timestamps) else 0.0
            _chunk(fh, _TAG_CLOCK_OFFSET, sid + struct.pack("<dd", t0, 0.0))
            for lo in range(0, len(stream.timestamps), _CHUNK_SAMPLES):
                hi = min(lo + _CHUNK_SAMPLES, len(stream.timestamps))
                body = _samples(stream, lo, hi)
                _chunk(fh, _TAG_SAMPLES, sid + _varlen(hi - lo) + body)
            t1 = float(stream.timestamps[-1]) if len(stream.timestamps) else 0.0
            _chunk(fh, _TAG_CLOCK_OFFSET, sid + struct.pack("<dd", t1, 0.0))
        _chunk(fh, _TAG_BOUNDARY, _BOUNDARY_UUID)
        for stream_id, stream in enumerate(recording.streams.values(), start=1):
            _chunk(fh, _TAG_STREAM_FOOTER, struct.pack("<I", stream_id) + _footer_xml(stream))
    return path


def _chunk(fh: BinaryIO, tag: int, content: bytes) -> None:
    fh.write(b"\x08" + struct.pack("<QH", len(content) + 2, tag))
    fh.write(content)


def _varlen(n: int) -> bytes:
    return b"\x08" + struct.pack("<Q", n)


def _samples(stream: RecordedStream, lo: int, hi: int) -> bytes:
    ts = stream.timestamps[lo:hi]
    spec = stream.spec
    if spec.is_markers:
        parts = []
        for t, row in zip(ts, stream.data[lo:hi], strict=True):
            parts.append(b"\x08" + struct.pack("<d", t))
            for value in row:
                raw = str(value).encode("utf-8")
                parts.append(_varlen(len(raw)) + raw)
        return b"".join(parts)
    rec = np.empty(
        hi - lo,
        dtype=[("n", "u1"), ("t", "<f8"), ("v", _NUMERIC[spec.channel_format], (spec.n_channels,))],
    )
    rec["n"] = 8
    rec["t"] = ts
    rec["v"] = stream.data[lo:hi]
    return rec.tobytes()


def _header_xml(spec: StreamSpec, manufacturer: str) -> bytes:
    channels = "".join(
        f"<channel><label>{escape(label)}</label><unit>{escape(unit)}</unit>"
        f"<type>{escape(kind)}</type></channel>"
        for label, unit, kind in zip(spec.channels, spec.units, spec.types, strict=True)
    )
    acq = f"<acquisition><manufacturer>{escape(manufacturer or 'emostream')}</manufacturer></acquisition>"
    xml = (
        '<?xml version="1.0"?><info>'
        f"<name>{escape(spec.name)}</name><type>{escape(spec.kind)}</type>"
        f"<channel_count>{spec.n_channels}</channel_count>"
        f"<nominal_srate>{spec.rate_hz!r}</nominal_srate>"
        f"<channel_format>{spec.channel_format}</channel_format>"
        f"<source_id>{escape(spec.source_id)}</source_id>"
        f"<desc><channels>{channels}</channels>{acq}</desc></info>"
    )
    return xml.encode("utf-8")


def _footer_xml(stream: RecordedStream) -> bytes:
    ts = stream.timestamps
    first = float(ts[0]) if len(ts) else 0.0
    last = float(ts[-1]) if len(ts) else 0.0
    xml = (
        '<?xml version="1.0"?><info>'
        f"<first_timestamp>{first!r}</first_timestamp><last_timestamp>{last!r}</last_timestamp>"
        f"<sample_count>{len(ts)}</sample_count>"
        "<clock_offsets>"
        f"<offset><time>{first!r}</time><value>0.0</value></offset>"
        f"<offset><time>{last!r}</time><value>0.0</value></offset>"
        "</clock_offsets></info>"
    )
    return xml.encode("utf-8")
