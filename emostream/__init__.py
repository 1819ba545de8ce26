"""emostream: live emotional-state estimation from wearable physiology.

The Python API (`import emostream as es`): `es.read`, `es.simulate`, `es.Pipeline` and
`es.Recording`; see `emostream.api`. They are imported on first use, so that `import
emostream` (and the command line) stays fast.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

try:
    __version__ = version("emostream")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

if TYPE_CHECKING:
    from emostream.api import Pipeline, read, simulate
    from emostream.formats.base import Recording

#: public name -> the module that defines it
_EXPORTS = {
    "Pipeline": "emostream.api",
    "read": "emostream.api",
    "simulate": "emostream.api",
    "Recording": "emostream.formats.base",
}

__all__ = ["Pipeline", "Recording", "__version__", "read", "simulate"]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'emostream' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
