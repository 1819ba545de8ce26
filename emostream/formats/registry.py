"""Which reader opens an input, and which bundled pipeline fits it.

Each format module under `emostream.formats` exposes `detect(path) -> bool` and
`read(path, **options) -> Recording`; formats are tried in the order below.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from types import ModuleType
from typing import Any

from emostream.core.registry import Registry, UnknownNameError
from emostream.errors import UsageError
from emostream.formats.base import Recording
from emostream.formats.salvage import salvage_timestamps

#: format name -> its module (imported on first use), in detection order
FORMATS: Registry[ModuleType] = Registry("format")
for _name, _module_name in (
    ("session", "session"),
    ("e4", "e4"),
    ("xdf", "xdf"),
    ("edf", "edf"),
    ("wfdb", "wfdb"),
    ("wav", "wav"),
    ("webvtt", "webvtt"),
    ("srt", "srt"),
    ("transcript-csv", "transcript_csv"),
    ("neurokit-csv", "neurokit_csv"),
):
    FORMATS.lazy(_name, f"emostream.formats.{_module_name}")

#: the bundled pipeline `process` uses for a format when none is given
DEFAULT_PIPELINES: dict[str, str] = {
    "e4": "e4-wrist",
    "neurokit-csv": "physio-csv",
    "xdf": "physio-csv",
    "edf": "physio-csv",
    "wfdb": "physio-csv",
    "wav": "voice",
    "webvtt": "text",
    "srt": "text",
    "transcript-csv": "text",
}


def _module(fmt: str) -> ModuleType | None:
    try:
        return FORMATS.get(fmt)
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("emostream.formats."):
            return None  # format not available in this build
        raise


def detect_format(path: str | Path) -> str:
    """Name of the first format whose detector accepts `path`."""
    path = Path(path)
    if not path.exists():
        raise UsageError(f"{path}: no such file or folder")
    for fmt in FORMATS:
        module = _module(fmt)
        if module is not None and module.detect(path):
            return fmt
    raise UsageError(
        f"{path}: not a recognised recording (formats: {', '.join(FORMATS)}); an E4 export "
        "folder needs EDA.csv/BVP.csv(.gz), a NeuroKit-style CSV needs --fs-hz"
    )


def read_recording(
    path: str | Path, fmt: str | None = None, **options: Any
) -> tuple[str, Recording]:
    """Open `path` with format `fmt` (detected when None). Returns (format, recording), its
    timestamps salvaged (`salvage_timestamps`)."""
    fmt = fmt or detect_format(path)
    if fmt not in FORMATS:
        raise UsageError(str(UnknownNameError(FORMATS.kind, fmt, FORMATS.names())))
    module = _module(fmt)
    if module is None:
        raise UsageError(f"the '{fmt}' reader is not available in this installation")
    accepted = inspect.signature(module.read).parameters
    for name in options:
        if name not in accepted:
            flag = "--" + name.replace("_", "-")
            raise UsageError(f"{path}: {flag} does not apply to the '{fmt}' format")
    return fmt, salvage_timestamps(module.read(Path(path), **options))
