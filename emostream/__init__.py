"""emostream: live emotional-state estimation from wearable physiology."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("emostream")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
