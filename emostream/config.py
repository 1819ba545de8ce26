"""Strict TOML-to-dataclass parsing: unknown keys, wrong types and missing keys are errors
that name the file and the dotted key."""

from __future__ import annotations

import dataclasses
import difflib
import math
import tomllib
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

from emostream.errors import ConfigError

T = TypeVar("T")


class FieldError(ValueError):
    """A dataclass field is out of range; `parse_dataclass` reports it under its own key."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(message)


def check_range(
    field: str, value: float, low: float, high: float = math.inf, *, low_open: bool = False
) -> None:
    """Raise FieldError unless `value` is finite and within [low, high] (or (low, high])."""
    above = value > low if low_open else value >= low
    if not (math.isfinite(value) and above and value <= high):
        if math.isinf(high):
            raise FieldError(field, f"must be {'>' if low_open else '>='} {low:g}, got {value!r}")
        bracket = "(" if low_open else "["
        raise FieldError(field, f"must be in {bracket}{low:g}, {high:g}], got {value!r}")


def load_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML file, turning I/O and syntax errors into ConfigError."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError("file not found; check the path", file=path) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", file=path) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset {exc.start}); "
            "save the file as UTF-8",
            file=path,
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", file=path) from None


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def _coerce(value: Any, tp: Any, file: Path | str | None, key: str) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        errors = []
        for arg in args:
            if arg is type(None):
                if value is None:
                    return None
                continue
            try:
                return _coerce(value, arg, file, key)
            except ConfigError as exc:
                errors.append(exc)
        raise errors[0] if errors else ConfigError("unexpected value", file=file, key=key)
    if origin is typing.Literal:
        if value not in args:
            choices = ", ".join(repr(a) for a in args)
            raise ConfigError(f"must be one of {choices}, got {value!r}", file=file, key=key)
        return value
    if origin in (tuple, list):
        if not isinstance(value, list):
            raise ConfigError(f"must be a list, got {type(value).__name__}", file=file, key=key)
        item_tp = args[0] if args else Any
        items = [_coerce(v, item_tp, file, f"{key}[{i}]") for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"must be a table, got {type(value).__name__}", file=file, key=key)
        val_tp = args[1] if len(args) == 2 else Any
        return {k: _coerce(v, val_tp, file, f"{key}.{k}") for k, v in value.items()}
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return parse_dataclass(tp, value, file=file, key=key)
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"must be a number, got {value!r}", file=file, key=key)
        if not math.isfinite(value):
            raise ConfigError(f"must be a finite number, got {value!r}", file=file, key=key)
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"must be an integer, got {value!r}", file=file, key=key)
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"must be true or false, got {value!r}", file=file, key=key)
        return value
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"must be a string, got {value!r}", file=file, key=key)
        return value
    if isinstance(tp, type) and isinstance(value, tp):
        return value
    raise ConfigError(f"must be {_type_name(tp)}, got {value!r}", file=file, key=key)


def parse_dataclass(
    cls: type[T], table: Any, *, file: Path | str | None = None, key: str = ""
) -> T:
    """Build dataclass `cls` from a TOML table, rejecting unknown and missing keys."""
    where = key or "(top level)"
    if not isinstance(table, dict):
        raise ConfigError(f"must be a table, got {type(table).__name__}", file=file, key=where)
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(typing.cast(Any, cls)) if f.init}
    for name in table:
        if name not in fields:
            close = difflib.get_close_matches(name, list(fields), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            known = ", ".join(sorted(fields))
            raise ConfigError(
                f"unknown key{hint} (known keys: {known})",
                file=file,
                key=f"{key}.{name}" if key else name,
            )
    kwargs: dict[str, Any] = {}
    for name, f in fields.items():
        dotted = f"{key}.{name}" if key else name
        if name in table:
            kwargs[name] = _coerce(table[name], hints[name], file, dotted)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ConfigError("required key is missing", file=file, key=dotted)
    try:
        return cls(**kwargs)
    except ConfigError:
        raise
    except FieldError as exc:
        dotted = f"{key}.{exc.field}" if key else exc.field
        raise ConfigError(str(exc), file=file, key=dotted) from None
    except (ValueError, TypeError) as exc:
        raise ConfigError(str(exc), file=file, key=where) from None
