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
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

import emostream
from emostream import __version__
from emostream.datasets.base import SamReport
from emostream.features.base import FeatureVector

#: bumped when the file layout changes
LAYOUT = 1
#: FeatureVector fields of str -> float, stored as matrices
_NUMERIC = ("values", "quality", "coverage", "staleness")


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
    path: Path, key: dict[str, Any], windows: list[FeatureVector], reports: list[SamReport]
) -> None:
    """Write an entry atomically (a reader never sees half a file)."""
    arrays: dict[str, np.ndarray] = {
        "t": np.array([(w.t_start, w.t_end) for w in windows], dtype=np.float64).reshape(-1, 2)
    }
    columns: dict[str, list[str]] = {}
    for group in _NUMERIC:
        names = list(dict.fromkeys(k for w in windows for k in getattr(w, group)))
        matrix = np.full((len(windows), len(names)), np.nan)
        present = np.zeros(matrix.shape, dtype=bool)
        index = {name: j for j, name in enumerate(names)}
        for i, w in enumerate(windows):
            for name, value in getattr(w, group).items():
                matrix[i, index[name]] = value
                present[i, index[name]] = True
        columns[group] = names
        arrays[group], arrays[f"{group}_present"] = matrix, present
    header = {
        "key": key,
        "columns": columns,
        "flags": [{k: list(v) for k, v in w.flags.items()} for w in windows],
        "reasons": [w.reasons for w in windows],
        "markers": [w.markers for w in windows],
        "reports": [list(r) for r in reports],
    }
    arrays["header"] = np.array(json.dumps(header))
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.part")
    with partial.open("wb") as fh:
        np.savez_compressed(fh, **arrays)  # type: ignore[arg-type]  # numpy's stub: **kwds may fill allow_pickle
    os.replace(partial, path)


def load(path: Path, key: dict[str, Any]) -> tuple[list[FeatureVector], list[SamReport]]:
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


def _windows(arrays: dict[str, np.ndarray], header: dict[str, Any]) -> list[FeatureVector]:
    t = arrays["t"]
    n = len(t)
    if not all(len(header[part]) == n for part in ("flags", "reasons", "markers")):
        raise ValueError("header and arrays disagree on the number of windows")
    groups = {}
    for group in _NUMERIC:
        names, matrix, present = header["columns"][group], arrays[group], arrays[f"{group}_present"]
        if matrix.shape != (n, len(names)) or present.shape != matrix.shape:
            raise ValueError(f"'{group}' has the wrong shape")
        groups[group] = [
            {names[j]: float(matrix[i, j]) for j in np.flatnonzero(present[i])} for i in range(n)
        ]
    return [
        FeatureVector(
            float(t[i, 0]),
            float(t[i, 1]),
            values=groups["values"][i],
            quality=groups["quality"][i],
            coverage=groups["coverage"][i],
            flags={k: tuple(v) for k, v in header["flags"][i].items()},
            reasons=header["reasons"][i],
            markers=[(float(ts), str(text)) for ts, text in header["markers"][i]],
            staleness=groups["staleness"][i],
        )
        for i in range(n)
    ]
