"""One exception hierarchy: every error a user can cause or meet derives from EmostreamError.

Messages say what happened and how to fix it. The CLI prints them without a traceback and
exits with status 2 for usage/config errors (`UsageError`) and 1 for everything else.
"""

from __future__ import annotations

from pathlib import Path


class EmostreamError(Exception):
    """Root of all emostream errors."""


class UsageError(EmostreamError):
    """The user asked for something impossible (bad argument, missing file). Exit status 2."""


class ConfigError(UsageError):
    """A pipeline or device-profile file is wrong. Names the file and the key."""

    def __init__(self, message: str, *, file: str | Path | None = None, key: str | None = None):
        self.file = str(file) if file is not None else None
        self.key = key
        where = ""
        if self.file and key:
            where = f"{self.file}: key '{key}': "
        elif self.file:
            where = f"{self.file}: "
        elif key:
            where = f"key '{key}': "
        super().__init__(where + message)


class StreamError(EmostreamError):
    """A stream's data does not match its declared spec (shape, dtype, timestamps)."""


class ResolveError(StreamError):
    """No LSL stream matched the query within the timeout."""


class DeviceError(EmostreamError):
    """A device could not be reached or refused a command."""


class ProtocolError(EmostreamError):
    """A packet did not follow the device protocol. Decoders count and skip these."""


class RecordingError(EmostreamError):
    """A recording could not be written or read. Names the file."""

    def __init__(self, message: str, *, file: str | Path | None = None):
        self.file = str(file) if file is not None else None
        super().__init__(f"{self.file}: {message}" if self.file else message)


class ModelError(EmostreamError):
    """A model file is missing, corrupt or does not match the pipeline."""
