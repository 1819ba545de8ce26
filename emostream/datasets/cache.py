"""On-disk cache of each subject's feature windows, so re-scoring a dataset takes seconds.

One `.npz` file per (dataset folder, subject, pipeline config): the features, quality,
coverage and staleness as float64 matrices with presence masks, and a JSON header with
everything else (markers, flags, reasons, self-reports) and the key it was computed for: the
pipeline config hash, the emostream version, a hash of emostream's own source files (so an
edited extractor never reuses old features) and a fingerprint of the subject's input files
(path, size, modification time). Data only: it is read with `allow_pickle=False`. An entry
whose key differs, or that cannot be read, is reported and recomputed, never trusted.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

import emostream
from emostream import __version__
from emostream.datasets.base import SamReport
from emostream.datasets.window_table import NUMERIC, WindowTable, as_table
from emostream.features.base import FeatureVector

#: bumped when the file layout changes
LAYOUT = 1


class CacheMiss(Exception):
    """The entry is absent, stale or unreadable; `reason` says which (for the progress note)."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


def default_dir() -> Path:
    """`$XDG_CACHE_HOME/emostream/features`, or `~/.cache/emostream/features`."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "emostream" / "features"


def fingerprint(paths: Iterable[Path]) -> str:
    """Hash of each input file's absolute path, size and modification time."""
    digest = hashlib.sha256()
    for path in paths:
        stat = path.stat()
        digest.update(f"{path.resolve()}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


#: parts of the package that do not take part in computing feature windows
NOT_FEATURE_CODE = frozenset(
    {
        "models",
        "evaluation",
        "commands",
        "sinks",
        "cli.py",
        "cluster.py",
        "cluster_worker.py",
        "datasets/registry.py",
        "datasets/cache.py",
        "datasets/window_table.py",
    }
)


@functools.cache
def code_fingerprint(excluded: frozenset[str] = NOT_FEATURE_CODE) -> str:
    """Hash of the names and contents of emostream's Python sources except the `excluded`
    folders and files (by default, the model and evaluation code can change without
    invalidating cached feature windows)."""
    package = Path(emostream.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package)
        if relative.parts[0] in excluded or relative.as_posix() in excluded:
            continue
        digest.update(path.relative_to(package).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def entry_path(folder: Path, dataset: str, root: Path, subject: str, config_hash: str) -> Path:
    """Where a subject's windows for one pipeline config are kept."""
    where = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:12]
    return folder / f"{dataset}-{where}" / f"{subject}-{config_hash}.npz"


def cache_key(
    config_hash: str, input_fingerprint: str, excluded: frozenset[str] = NOT_FEATURE_CODE
) -> dict[str, Any]:
    """What an entry must have been computed with to be reused (`excluded`: the code that
    takes no part, see `code_fingerprint`)."""
    return {
        "layout": LAYOUT,
        "config_hash": config_hash,
        "emostream": __version__,
        "code": code_fingerprint(excluded),
        "fingerprint": input_fingerprint,
    }


def save(
    path: Path, key: dict[str, Any], windows: Sequence[FeatureVector], reports: list[SamReport]
) -> None:
    """Write an entry atomically (a reader never sees half a file)."""
    table = as_table(windows)
    arrays: dict[str, np.ndarray] = {"t": table.t}
    for field in NUMERIC:
        arrays[field], arrays[f"{field}_present"] = table.matrices[field], table.present[field]
    n = len(table)
    header = {
        "key": key,
        "columns": {field: list(table.names[field]) for field in NUMERIC},
        "flags": [{k: list(v) for k, v in table.flags.get(i, {}).items()} for i in range(n)],
        "reasons": [table.reasons.get(i, {}) for i in range(n)],
        "markers": [table.markers.get(i, []) for i in range(n)],
        "reports": [list(r) for r in reports],
    }
    arrays["header"] = np.array(json.dumps(header))
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.part")
    with partial.open("wb") as fh:
        np.savez_compressed(fh, **arrays)  # type: ignore[arg-type]  # numpy's stub: **kwds may fill allow_pickle
    os.replace(partial, path)


def load(path: Path, key: dict[str, Any]) -> tuple[WindowTable, list[SamReport]]:
    """The windows and self-reports of an entry computed for `key`; CacheMiss otherwise."""
    if not path.is_file():
        raise CacheMiss("not cached")
    try:
        with np.load(path, allow_pickle=False) as content:
            arrays = {name: content[name] for name in content.files}
        header = json.loads(str(arrays["header"]))
        if header["key"] != key:
            changed = [k for k in key if header["key"].get(k) != key[k]]
            raise CacheMiss(f"stale ({', '.join(changed)} changed)")
        return _windows(arrays, header), [SamReport(*r) for r in header["reports"]]
    except CacheMiss:
        raise
    except (OSError, EOFError, ValueError, KeyError, TypeError, IndexError, zipfile.BadZipFile):
        raise CacheMiss("unreadable") from None


def _windows(arrays: dict[str, np.ndarray], header: dict[str, Any]) -> WindowTable:
    n = len(arrays["t"])
    if not all(len(header[part]) == n for part in ("flags", "reasons", "markers")):
        raise ValueError("header and arrays disagree on the number of windows")
    return WindowTable(
        arrays["t"],
        {field: tuple(header["columns"][field]) for field in NUMERIC},
        {field: arrays[field] for field in NUMERIC},
        {field: arrays[f"{field}_present"] for field in NUMERIC},
        {i: {k: tuple(v) for k, v in f.items()} for i, f in enumerate(header["flags"]) if f},
        {i: r for i, r in enumerate(header["reasons"]) if r},
        {
            i: [(float(ts), str(text)) for ts, text in m]
            for i, m in enumerate(header["markers"])
            if m
        },
    )
