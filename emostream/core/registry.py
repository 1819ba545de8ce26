"""One way to register each kind of part (extractors, device drivers, transports, formats,
datasets, learners): a named table that parts add themselves to, with a clear lookup error."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar, overload

T = TypeVar("T")
P = TypeVar("P")


class UnknownNameError(LookupError):
    """A name that no part of this kind registered; the message lists the known names."""

    def __init__(self, kind: str, name: str, known: tuple[str, ...]):
        self.kind, self.name, self.known = kind, name, known
        super().__init__(f"unknown {kind} '{name}'; known: {', '.join(known) or 'none'}")

    def __str__(self) -> str:
        return str(self.args[0])


class _Lazy:
    """`module:attr` (or a whole `module`) to import when first looked up."""

    def __init__(self, target: str):
        self.target = target

    def names(self, part: object) -> bool:
        """`part` is what this target names (its module registering it on import)."""
        module_name = getattr(part, "__module__", None)
        return self.target == f"{module_name}:{getattr(part, '__qualname__', '')}"

    def load(self) -> object:
        module_name, _, attr = self.target.partition(":")
        module = importlib.import_module(module_name)
        return getattr(module, attr) if attr else module


class Registry(Generic[T]):
    """Parts of one kind by name, in registration order.

    `register("name")` is a decorator (or call it with the part); `lazy("name", "module:attr")`
    imports the part on first use, for parts with heavy or optional dependencies.
    """

    def __init__(self, kind: str):
        self.kind = kind
        self._entries: dict[str, T | _Lazy] = {}

    @overload
    def register(self, name: str) -> Callable[[P], P]: ...
    @overload
    def register(self, name: str, part: T) -> T: ...
    def register(self, name: str, part: object = None) -> object:
        """Add `part` under `name`; with no part, a decorator that adds what it decorates."""

        def add(item: P) -> P:
            self._add(name, item)
            return item

        return add if part is None else add(part)

    def lazy(self, name: str, target: str) -> None:
        """Register `module:attr` (or a whole `module`) under `name`, imported on first `get`."""
        self._add(name, _Lazy(target))

    def _add(self, name: str, entry: object) -> None:
        known = self._entries.get(name)
        if isinstance(known, _Lazy) and known.names(entry):
            known = None  # a lazily registered part's module registers it as it loads
        if known is not None and known is not entry:
            raise ValueError(f"two {self.kind}s are named {name!r}")
        self._entries[name] = entry  # type: ignore[assignment]

    def get(self, name: str) -> T:
        """The part named `name`; UnknownNameError lists the known names."""
        entry = self._entries.get(name)
        if entry is None:
            raise UnknownNameError(self.kind, name, self.names())
        if isinstance(entry, _Lazy):
            entry = self._entries[name] = entry.load()  # type: ignore[assignment]
        return entry  # type: ignore[return-value]

    __getitem__ = get

    def names(self) -> tuple[str, ...]:
        """Every registered name, in registration order."""
        return tuple(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)
