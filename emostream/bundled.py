"""Where pipelines and device profiles are found, by name.

A name `demo` is looked up as `./pipelines/demo.toml` (the user's own folder, relative to the
working directory) and then as the bundled `demo.toml` that ships inside the package (read
with `importlib.resources`). A path given explicitly never goes through this lookup.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Literal

Kind = Literal["pipelines", "devices"]


def bundled_dir(kind: Kind) -> Path:
    """The folder of bundled `kind` files: inside an installed package, or the top-level
    folder of a source checkout (where the build configuration maps them from)."""
    installed = files("emostream").joinpath("_bundled", kind)
    if isinstance(installed, Path) and installed.is_dir():
        return installed
    return Path(__file__).resolve().parent.parent / kind


def search_dirs(kind: Kind) -> tuple[Path, ...]:
    """The folders searched for `kind` files, first match wins: the user's, then bundled."""
    return (Path.cwd() / kind, bundled_dir(kind))


def find(kind: Kind, name: str) -> Path | None:
    """The file `<name>.toml` of the first folder in `search_dirs(kind)` holding it."""
    for folder in search_dirs(kind):
        path = folder / f"{name}.toml"
        if path.is_file():
            return path
    return None


def names(kind: Kind) -> list[str]:
    """Every name `find(kind, ...)` can resolve, sorted."""
    return sorted({p.stem for folder in search_dirs(kind) for p in folder.glob("*.toml")})
