"""The wearers of one live run: who wears which sources, with which model and recording.

Given as a `[[wearers]]` list in a pipeline file, or in a cohort file that names a pipeline:

    [cohort]
    pipeline = "lsl-physio.toml"

    [[wearers]]
    subject = "P01"
    model = "models/P01.emo"

Every wearer runs the pipeline on its own sources. A wearer's `sources` list holds one table
per pipeline `[[sources]]` entry, whose keys replace that entry's own; `{slot}` in a source's
text values becomes the wearer's slot (`w01`, `w02`, … by position), the only per-wearer
name that goes onto the network. The list does not change the pipeline's config hash.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from emostream.config import load_toml, parse_dataclass
from emostream.consent import check_pseudonym
from emostream.core.spec import wearer_slot
from emostream.errors import ConfigError, UsageError
from emostream.pipeline.config import (
    PipelineConfig,
    parse_pipeline,
    pipeline_tables,
    resolve_pipeline_path,
)
from emostream.sources.config import SourceConfig

SLOT_PLACEHOLDER = "{slot}"
_SLOT_RE = re.compile(r"[A-Za-z0-9]{1,16}")
#: a wearer picks which device of the pipeline's kind is theirs, not another kind of device
_FIXED_SOURCE_KEYS = ("device", "kinds")


@dataclass(frozen=True)
class WearerTable:
    """One `[[wearers]]` entry as written."""

    subject: str
    slot: str = ""
    #: one table per pipeline `[[sources]]` entry, in order: keys that replace the entry's own
    sources: tuple[dict[str, Any], ...] = ()
    #: model file to start from (if it exists) and to save to at the end
    model: str = ""
    #: folder to record the wearer's session into (default: --record, else [record] dir)
    record: str = ""
    #: consent this wearer gave, e.g. "record,research" (default: --consent)
    consent: str = ""


@dataclass(frozen=True)
class LiveWearer:
    """A wearer ready to run: `config` is the pipeline with this wearer's sources."""

    slot: str
    subject: str
    config: PipelineConfig
    model_path: Path | None = None
    record_dir: Path | None = None
    consent: str = ""


def load_live(name_or_path: str | Path) -> tuple[PipelineConfig, tuple[LiveWearer, ...]]:
    """A pipeline file (with or without `[[wearers]]`) or a cohort file: the pipeline, and its
    wearers (empty when the file names none)."""
    path = resolve_pipeline_path(name_or_path)
    raw = load_toml(path)
    if "cohort" not in raw:
        raw = pipeline_tables(raw, path)
        config = parse_pipeline(raw, path)
        if "wearers" not in raw:
            return config, ()
        return config, parse_wearers(raw["wearers"], config, path)
    for key in raw:
        if key not in ("cohort", "wearers"):
            raise ConfigError(
                "unknown table in a cohort file (known: cohort, wearers)", file=path, key=key
            )
    cohort = raw["cohort"]
    if not isinstance(cohort, dict) or set(cohort) != {"pipeline"}:
        raise ConfigError(
            'must hold one key: pipeline = "<pipeline file or name>"', file=path, key="cohort"
        )
    if not isinstance(cohort["pipeline"], str):
        raise ConfigError("must be a string", file=path, key="cohort.pipeline")
    pipeline_path = Path(cohort["pipeline"])
    if not pipeline_path.is_absolute() and (path.parent / pipeline_path).exists():
        pipeline_path = path.parent / pipeline_path
    try:
        pipeline_path = resolve_pipeline_path(pipeline_path)
    except ConfigError as exc:
        raise ConfigError(str(exc), file=path, key="cohort.pipeline") from None
    if not pipeline_path.is_file():
        raise ConfigError(
            f"{pipeline_path}: file not found; give the pipeline's path relative to this file "
            "or a bundled pipeline's name",
            file=path,
            key="cohort.pipeline",
        )
    pipeline_raw = pipeline_tables(load_toml(pipeline_path), pipeline_path)
    if "wearers" in pipeline_raw:
        raise ConfigError(
            f"{pipeline_path} has its own [[wearers]]; keep them in one file",
            file=path,
            key="cohort.pipeline",
        )
    if "wearers" not in raw:
        raise ConfigError("a cohort file needs [[wearers]] tables", file=path, key="wearers")
    config = parse_pipeline(pipeline_raw, pipeline_path)
    return config, parse_wearers(raw["wearers"], config, path)


def parse_wearers(raw: Any, config: PipelineConfig, path: Path) -> tuple[LiveWearer, ...]:
    """Validate `[[wearers]]` against `config`: pseudonyms, unique subjects, slots, sources
    and model files."""
    if not isinstance(raw, list) or not raw:
        raise ConfigError(
            "must be a non-empty list of [[wearers]] tables", file=path, key="wearers"
        )
    tables = [
        parse_dataclass(WearerTable, table, file=path, key=f"wearers[{i}]")
        for i, table in enumerate(raw)
    ]
    subjects = {t.subject for t in tables}
    seen: dict[tuple[str, Any], str] = {}
    wearers = []
    for i, table in enumerate(tables):
        key = f"wearers[{i}]"
        try:
            check_pseudonym(table.subject)
        except UsageError as exc:
            raise ConfigError(str(exc), file=path, key=f"{key}.subject") from None
        slot = table.slot or wearer_slot(i, len(tables))
        if not _SLOT_RE.fullmatch(slot):
            raise ConfigError("use 1-16 letters and digits", file=path, key=f"{key}.slot")
        if slot in subjects:
            raise ConfigError(
                "a slot is published on LSL, so it must not be a subject id", file=path,
                key=f"{key}.slot",
            )  # fmt: skip
        for field, value in (("subject", table.subject), ("slot", slot), ("model", table.model)):
            if not value:
                continue
            other = seen.setdefault((field, value), key)
            if other != key:
                raise ConfigError(f"same {field} as {other}", file=path, key=f"{key}.{field}")
        sources = _wearer_sources(config, table, slot, path, key)
        for j, source in enumerate(sources):
            other = seen.setdefault(("source", _identity(source)), f"{key}.sources[{j}]")
            if other != f"{key}.sources[{j}]":
                raise ConfigError(
                    f"same source as {other}; give each wearer their own device or stream "
                    f"(a name, source_id or address, e.g. with {SLOT_PLACEHOLDER})",
                    file=path,
                    key=f"{key}.sources[{j}]",
                )
        wearers.append(
            LiveWearer(
                slot=slot,
                subject=table.subject,
                config=replace(config, sources=sources),
                model_path=Path(table.model) if table.model else None,
                record_dir=Path(table.record) if table.record else None,
                consent=table.consent,
            )
        )
    return tuple(wearers)


def spread_window_ends(wearers: tuple[LiveWearer, ...]) -> tuple[LiveWearer, ...]:
    """The wearers with their window ends spread over one hop: wearer i of N has its grid
    moved by hop_s·i/N from the pipeline's. Windows on one grid close at the same instant,
    and one run computes them one after another, so the last wearer's state waits for every
    other's; spread, each window is computed as its own data completes. The pipeline's
    config hash is unchanged (a model fits every offset); each session records its offset."""
    spread = []
    for i, wearer in enumerate(wearers):
        window = wearer.config.window
        offset_s = (window.offset_s + window.hop_s * i / len(wearers)) % window.hop_s
        config = replace(wearer.config, window=replace(window, offset_s=offset_s))
        spread.append(replace(wearer, config=config))
    return tuple(spread)


def _wearer_sources(
    config: PipelineConfig, table: WearerTable, slot: str, path: Path, key: str
) -> tuple[SourceConfig, ...]:
    if table.sources and len(table.sources) != len(config.sources):
        raise ConfigError(
            f"give one table per pipeline [[sources]] entry ({len(config.sources)}), in order",
            file=path,
            key=f"{key}.sources",
        )
    raw_sources = config.raw.get("sources", [])
    out = []
    for j, base in enumerate(raw_sources):
        override = table.sources[j] if table.sources else {}
        for fixed in _FIXED_SOURCE_KEYS:
            if fixed in override:
                raise ConfigError(
                    "is set by the pipeline; a wearer picks their own device with name, "
                    "source_id, address, seed or recording",
                    file=path,
                    key=f"{key}.sources[{j}].{fixed}",
                )
        merged = {
            k: v.replace(SLOT_PLACEHOLDER, slot) if isinstance(v, str) else v
            for k, v in {**base, **override}.items()
        }
        out.append(parse_dataclass(SourceConfig, merged, file=path, key=f"{key}.sources[{j}]"))
    return tuple(out)


def _identity(source: SourceConfig) -> tuple[Any, ...]:
    """What picks a source's device or stream: two wearers must not share it."""
    return (
        source.device,
        source.recording,
        source.kinds,
        source.name,
        source.source_id,
        source.address,
        source.seed,
    )
