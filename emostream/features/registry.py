"""Registered extractors by pipeline table name, and parsing of `[features.<name>]` tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

from emostream.config import parse_dataclass
from emostream.core.registry import Registry, UnknownNameError
from emostream.errors import ConfigError
from emostream.features.base import Extractor

E = TypeVar("E", bound=type[Extractor])

EXTRACTORS: Registry[type[Extractor]] = Registry("extractor")


def register(cls: E) -> E:
    """Class decorator: make an extractor available as `[features.<cls.name>]`."""
    EXTRACTORS.register(cls.name, cls)
    return cls


def parse_feature_tables(table: dict[str, Any], file: Path | str | None) -> dict[str, Any]:
    """Validate the `features` table of a pipeline: one sub-table of Params per extractor."""
    if not isinstance(table, dict):
        raise ConfigError("must be a table of [features.<name>] tables", file=file, key="features")
    out: dict[str, Any] = {}
    for name, sub in table.items():
        key = f"features.{name}"
        try:
            cls = EXTRACTORS.get(name)
        except UnknownNameError as exc:
            raise ConfigError(str(exc), file=file, key=key) from None
        out[name] = parse_dataclass(cls.Params, sub, file=file, key=key)
    return out


def extractors_without_input(features: dict[str, Any], kinds: set[str]) -> dict[str, str]:
    """Configured extractors that no stream of `kinds` can feed, with the kinds each needs."""
    return {
        name: " or ".join(EXTRACTORS.get(name).kinds)
        for name in features
        if not kinds.intersection(EXTRACTORS.get(name).kinds)
    }


# Each extractor module is imported when a pipeline names it (`get`), and registers its class
# then: a pipeline pays only for the extractors (and their libraries) that it uses.
for _name, _class in (
    ("acc", "AccExtractor"),
    ("eda", "EdaExtractor"),
    ("eeg", "EegExtractor"),
    ("face", "FaceExtractor"),
    ("hr", "HrExtractor"),
    ("hrv", "HrvExtractor"),
    ("rsp", "RspExtractor"),
    ("temp", "TempExtractor"),
    ("text", "TextExtractor"),
    ("voice", "VoiceExtractor"),
):
    EXTRACTORS.lazy(_name, f"emostream.features.{_name}:{_class}")
