"""Model file format: a magic line, a JSON header line, then a pickled payload.

The header names the format version, the feature names, the label set, the learner and the
pipeline config hash, plus the SHA-256 of the payload, so a mismatched or damaged file is
refused with a message before anything is unpickled.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from pathlib import Path
from typing import Any

from emostream.errors import ModelError

MAGIC = b"EMOSTREAM-MODEL\n"
FORMAT_VERSION = 1


def write_model_file(path: str | Path, header: dict[str, Any], payload: Any) -> str:
    """Write atomically (temp file + rename); return the payload's SHA-256 hex digest."""
    path = Path(path)
    blob = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    digest = hashlib.sha256(blob).hexdigest()
    head = {"format_version": FORMAT_VERSION, **header, "sha256": digest}
    tmp = path.with_name(path.name + ".tmp")
    try:
        with tmp.open("wb") as fh:
            fh.write(MAGIC)
            fh.write(json.dumps(head, sort_keys=True).encode() + b"\n")
            fh.write(blob)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        raise ModelError(f"{path}: cannot write model file: {exc.strerror}") from None
    return digest


def read_model_file(path: str | Path) -> tuple[dict[str, Any], Any]:
    """Header and payload of a model file; ModelError when it is missing or damaged."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ModelError(f"{path}: model file not found; check the path") from None
    except OSError as exc:
        raise ModelError(f"{path}: cannot read model file: {exc.strerror}") from None
    if not raw.startswith(MAGIC):
        raise ModelError(f"{path}: not an emostream model file (wrong magic bytes)")
    head_line, sep, blob = raw[len(MAGIC) :].partition(b"\n")
    try:
        header = json.loads(head_line) if sep else None
    except ValueError:
        header = None
    if not isinstance(header, dict):
        raise ModelError(f"{path}: model file header is corrupt; retrain or restore the file")
    if header.get("format_version") != FORMAT_VERSION:
        raise ModelError(
            f"{path}: model file format {header.get('format_version')!r} is not supported "
            f"(this emostream reads format {FORMAT_VERSION}); retrain with `emostream train`"
        )
    if hashlib.sha256(blob).hexdigest() != header.get("sha256"):
        raise ModelError(
            f"{path}: model file is corrupt (checksum mismatch); retrain or restore it"
        )
    try:
        payload = pickle.loads(blob)
    except Exception as exc:  # a checksummed payload that still fails to load
        raise ModelError(f"{path}: model payload cannot be loaded ({type(exc).__name__})") from None
    return header, payload
