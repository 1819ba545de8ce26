"""The emostream session format: a folder written while recording, read as a Recording.

`layout` names the files and their schemas, `writer` appends and finalises them, `reader`
opens a folder (recovering one a crash left unfinished), `files` reads whatever of a file is
complete. As an input format, the package offers `detect` and `read`.
"""

from emostream.formats.session.reader import detect, read

__all__ = ["detect", "read"]
