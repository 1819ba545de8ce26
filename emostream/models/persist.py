"""Model file container: a magic line, a JSON header line, then the state as data.

The header names the format version, how the state is encoded, the feature names, the label
set, the learner and the pipeline config hash, plus the SHA-256 of the body, so a mismatched
or damaged file is refused with a message before its state is decoded. The body is an
uncompressed `.npz` archive holding `state` (UTF-8 JSON) and `floats` (float64): no code
runs on load. Only with the `[model] allow_pickle = true` opt-in is the body a pickle, and
such a file is read only when the caller trusts it (`--trust-model-file`). Format 1 (always
a pickle) is refused without being read. See docs/models.md.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from emostream.errors import ModelError

MAGIC = b"EMOSTREAM-MODEL\n"
FORMAT_VERSION = 2
#: body encodings: "data" (JSON + float array) or "pickle" (opt-in, trusted files only)
DATA, PICKLE = "data", "pickle"
_ARCHIVE_ENTRIES = {"state.npy", "floats.npy"}


@dataclass(frozen=True, slots=True)
class ModelFile:
    """A checked model file whose body is not decoded yet."""

    path: Path
    header: dict[str, Any]
    body: bytes


def write_model_file(
    path: str | Path,
    header: dict[str, Any],
    *,
    state: Any = None,
    floats: np.ndarray | None = None,
    pickled: Any = None,
) -> str:
    """Write `state` + `floats` (or, opted in, `pickled`) atomically; return the SHA-256."""
    if pickled is not None:
        encoding, body = PICKLE, pickle.dumps(pickled, protocol=pickle.HIGHEST_PROTOCOL)
    else:
        encoding, body = DATA, _archive(state, floats if floats is not None else np.empty(0))
    digest = hashlib.sha256(body).hexdigest()
    head = {"format_version": FORMAT_VERSION, "encoding": encoding, **header, "sha256": digest}
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    try:
        with tmp.open("wb") as fh:
            fh.write(MAGIC)
            fh.write(json.dumps(head, sort_keys=True).encode() + b"\n")
            fh.write(body)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        raise ModelError(f"{path}: cannot write model file: {exc.strerror}") from None
    return digest


def _archive(state: Any, floats: np.ndarray) -> bytes:
    text = json.dumps(state, separators=(",", ":")).encode()
    buffer = io.BytesIO()
    np.savez(buffer, state=np.frombuffer(text, dtype=np.uint8), floats=floats.astype(np.float64))
    return buffer.getvalue()


def read_model_file(path: str | Path, *, trust_pickle: bool = False) -> ModelFile:
    """The checked header and raw body; ModelError when missing, damaged or refused."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ModelError(f"{path}: model file not found; check the path") from None
    except OSError as exc:
        raise ModelError(f"{path}: cannot read model file: {exc.strerror}") from None
    if not raw.startswith(MAGIC):
        raise ModelError(f"{path}: not an emostream model file (wrong magic bytes)")
    head_line, sep, body = raw[len(MAGIC) :].partition(b"\n")
    try:
        header = json.loads(head_line) if sep else None
    except (ValueError, RecursionError):
        header = None
    if not isinstance(header, dict):
        raise ModelError(f"{path}: model file header is corrupt; retrain or restore the file")
    version = header.get("format_version")
    if version == 1:
        raise ModelError(
            f"{path}: model file format 1 stores the model as a Python pickle, which can run "
            "code when loaded, so it is refused; retrain with `emostream train` (or run the "
            "session again) to write the current format"
        )
    if version != FORMAT_VERSION:
        raise ModelError(
            f"{path}: model file format {version!r} is not supported "
            f"(this emostream reads format {FORMAT_VERSION}); retrain with `emostream train`"
        )
    encoding = header.get("encoding")
    if encoding not in (DATA, PICKLE):
        raise ModelError(f"{path}: model file header names unknown encoding {encoding!r}")
    if encoding == PICKLE and not trust_pickle:
        raise ModelError(
            f"{path}: this model file is a pickle (written with `[model] allow_pickle = true`), "
            "which runs code when loaded; pass --trust-model-file only if you made it yourself"
        )
    if hashlib.sha256(body).hexdigest() != header.get("sha256"):
        raise ModelError(
            f"{path}: model file is corrupt (checksum mismatch); retrain or restore it"
        )
    return ModelFile(path, header, body)


def decode_data(file: ModelFile) -> tuple[Any, np.ndarray]:
    """The JSON state and the float array of a data-encoded model file."""
    try:
        with zipfile.ZipFile(io.BytesIO(file.body)) as archive:
            infos = archive.infolist()
        names = {info.filename for info in infos}
        if names != _ARCHIVE_ENTRIES or len(infos) != len(names):
            raise ValueError("unexpected archive entries")
        if any(info.compress_type != zipfile.ZIP_STORED for info in infos):
            raise ValueError("compressed archive entries")
        with np.load(io.BytesIO(file.body), allow_pickle=False) as arrays:
            text, floats = arrays["state"], arrays["floats"]
        if text.dtype != np.uint8 or floats.dtype != np.float64 or floats.ndim != 1:
            raise ValueError("unexpected array types")
        state = json.loads(text.tobytes().decode())
    except (ValueError, OSError, EOFError, KeyError, RecursionError, zipfile.BadZipFile):
        raise ModelError(
            f"{file.path}: model state cannot be read; retrain or restore the file"
        ) from None
    return state, floats


def decode_pickle(file: ModelFile) -> Any:
    """The payload of a pickled model file (only reached for a trusted file)."""
    if file.header.get("encoding") != PICKLE:
        raise ModelError(f"{file.path}: model file is not a pickle")
    try:
        return pickle.loads(file.body)
    except Exception as exc:  # a checksummed payload that still fails to load
        raise ModelError(
            f"{file.path}: model payload cannot be loaded ({type(exc).__name__})"
        ) from None
