"""Pipeline definitions (`pipelines/*.toml`): sources, windows, features, model, labels, outputs.

Every table is parsed strictly; the config hash is the SHA-256 of the parsed content (so
comments and key order do not change it) and goes into every output for provenance.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emostream import bundled
from emostream.config import load_toml, parse_dataclass
from emostream.errors import ConfigError
from emostream.profiles import DeviceProfile, load_profile
from emostream.sinks.config import OutputsConfig, RecordConfig
from emostream.sources.config import SourceConfig
from emostream.windowing import WindowConfig

TOP_LEVEL_KEYS = (
    "pipeline",
    "window",
    "sources",
    "features",
    "model",
    "labels",
    "outputs",
    "record",
    "wearers",
)
#: tables that describe who runs the pipeline, not the pipeline: not part of the config hash
NOT_HASHED = frozenset({"wearers"})


@dataclass(frozen=True)
class PipelineMeta:
    name: str
    description: str = ""


@dataclass(frozen=True)
class PipelineConfig:
    meta: PipelineMeta
    window: WindowConfig
    sources: tuple[SourceConfig, ...]
    #: each source's device profile (None for a recording source)
    profiles: tuple[DeviceProfile | None, ...]
    features: dict[str, Any]
    model_tables: dict[str, Any] | None
    labels_tables: dict[str, Any] | None
    outputs: OutputsConfig
    record: RecordConfig
    path: Path | None = None
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def config_hash(self) -> str:
        return config_hash(self.raw)

    @property
    def features_hash(self) -> str:
        """Hash of what decides the feature windows (sources, window, extractors), so that
        changing the model, labels or outputs keeps cached windows valid."""
        return config_hash({k: v for k, v in self.raw.items() if k in FEATURE_TABLES})

    @property
    def has_model(self) -> bool:
        return self.model_tables is not None

    @property
    def transports(self) -> tuple[str, ...]:
        """Each source's transport ("recording" for a recording source)."""
        return tuple(p.device.transport if p else "recording" for p in self.profiles)

    @property
    def source_names(self) -> tuple[str, ...]:
        return tuple(s.device or Path(s.recording).name for s in self.sources)


#: the top-level pipeline tables that decide the feature windows
FEATURE_TABLES = frozenset({"window", "sources", "features"})


def _check_inputs(
    sources: tuple[SourceConfig, ...],
    profiles: tuple[DeviceProfile | None, ...],
    features: dict[str, Any],
    path: Path | None,
) -> None:
    """Refuse sources that give no stream, and extractors that no source can feed (when every
    source's streams are known from its profile)."""
    from emostream.features.registry import extractors_without_input

    kinds: set[str] = set()
    for i, (source, profile) in enumerate(zip(sources, profiles, strict=True)):
        if profile is None or (
            profile.device.transport == "lsl" and (source.name or source.source_id)
        ):
            return  # a recording or a stream picked by name: its kinds show only when read
        given = {s.kind for s in profile.streams if not source.kinds or s.kind in source.kinds}
        if not given:
            raise ConfigError(
                f"device '{profile.name}' declares no [[streams]]; add them to {profile.path}",
                file=path,
                key=f"sources[{i}].device",
            )
        kinds |= given
    if not sources:
        return
    for name, needs in extractors_without_input(features, kinds).items():
        raise ConfigError(
            f"needs a {needs} stream, but the sources give only {', '.join(sorted(kinds))}",
            file=path,
            key=f"features.{name}",
        )


def config_hash(raw: dict[str, Any]) -> str:
    canonical = json.dumps(raw, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def resolve_pipeline_path(name_or_path: str | Path) -> Path:
    """A path as given, or a pipeline's name (`demo` → ./pipelines/demo.toml, else the bundled
    demo.toml)."""
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists():
        return path
    found = bundled.find("pipelines", str(name_or_path))
    if found is not None:
        return found
    known = ", ".join(bundled.names("pipelines"))
    raise ConfigError(f"no pipeline file '{name_or_path}' (bundled pipelines: {known})")


def load_pipeline(name_or_path: str | Path) -> PipelineConfig:
    path = resolve_pipeline_path(name_or_path)
    return parse_pipeline(pipeline_tables(load_toml(path), path), path)


def pipeline_tables(
    raw: dict[str, Any], path: Path, _through: tuple[Path, ...] = ()
) -> dict[str, Any]:
    """The tables of the pipeline file `path` (read as `raw`). With a top-level `extends`
    (a `.toml` path relative to the file, or a pipeline's name, looked up as `load_pipeline`
    does), they are merged over that pipeline's, which must be a whole pipeline itself: tables
    merge key by key, any other value (a list, an array of tables) replaces the one it
    extends."""
    if "extends" not in raw:
        return raw
    raw = dict(raw)
    name = raw.pop("extends")
    if not isinstance(name, str) or not name:
        raise ConfigError("must name another pipeline file", file=path, key="extends")
    if Path(name).suffix == ".toml":
        base_path = path.parent / name  # relative to this file (or absolute)
    else:
        try:
            base_path = resolve_pipeline_path(name)
        except ConfigError as exc:
            raise ConfigError(str(exc), file=path, key="extends") from None
    if not base_path.is_file():
        raise ConfigError(f"{base_path}: file not found", file=path, key="extends")
    through = (*_through, path.resolve())
    if base_path.resolve() in through:
        chain = " -> ".join(p.name for p in (*through, base_path))
        raise ConfigError(f"extends itself: {chain}", file=path, key="extends")
    base = pipeline_tables(load_toml(base_path), base_path, through)
    parse_pipeline(base, base_path)  # the base is checked on its own, so its errors name it
    return merge_tables(base, raw)


def merge_tables(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """`base` with `override`'s values: tables merged key by key, other values replaced."""
    merged = dict(base)
    for key, value in override.items():
        below = merged.get(key)
        if isinstance(value, dict) and isinstance(below, dict):
            merged[key] = merge_tables(below, value)
        else:
            merged[key] = value
    return merged


def parse_pipeline(raw: dict[str, Any], path: Path | None = None) -> PipelineConfig:
    from emostream.features.registry import parse_feature_tables

    raw = {k: v for k, v in raw.items() if k not in NOT_HASHED}  # see emostream.pipeline.wearers
    for key in raw:
        if key not in TOP_LEVEL_KEYS:
            raise ConfigError(
                f"unknown table (known: {', '.join(TOP_LEVEL_KEYS)})", file=path, key=key
            )
    if "pipeline" not in raw:
        raise ConfigError("required table [pipeline] is missing", file=path, key="pipeline")
    meta = parse_dataclass(PipelineMeta, raw["pipeline"], file=path, key="pipeline")
    window = parse_dataclass(WindowConfig, raw.get("window", {}), file=path, key="window")
    sources_raw = raw.get("sources", [])
    if not isinstance(sources_raw, list):
        raise ConfigError("must be a list of [[sources]] tables", file=path, key="sources")
    sources = tuple(
        parse_dataclass(SourceConfig, table, file=path, key=f"sources[{i}]")
        for i, table in enumerate(sources_raw)
    )
    profiles: list[DeviceProfile | None] = []
    for i, source in enumerate(sources):
        if bool(source.device) == bool(source.recording):
            raise ConfigError(
                'give either device = "<profile>" or recording = "<path>"',
                file=path,
                key=f"sources[{i}]",
            )
        if source.recording:
            profiles.append(None)
            continue
        try:
            profile = load_profile(source.device)
        except ConfigError as exc:
            if exc.file is not None:  # the profile file itself is broken: report it as is
                raise
            raise ConfigError(str(exc), file=path, key=f"sources[{i}].device") from None
        known = [s.kind for s in profile.streams]
        unknown = [k for k in source.kinds if k not in known]
        if unknown:
            raise ConfigError(
                f"device '{profile.name}' has no stream of kind {', '.join(map(repr, unknown))} "
                f"(its kinds: {', '.join(known) or 'none'})",
                file=path,
                key=f"sources[{i}].kinds",
            )
        profiles.append(profile)
    features = parse_feature_tables(raw.get("features", {}), path)
    _check_inputs(sources, tuple(profiles), features, path)
    if "labels" in raw and "model" not in raw:
        raise ConfigError("[labels] needs a [model] table", file=path, key="labels")
    if "model" in raw:
        from emostream.models.config import ModelConfig

        ModelConfig.from_tables(raw.get("model"), raw.get("labels"), file=path)  # validate now
    outputs = parse_dataclass(OutputsConfig, raw.get("outputs", {}), file=path, key="outputs")
    record = parse_dataclass(RecordConfig, raw.get("record", {}), file=path, key="record")
    return PipelineConfig(
        meta=meta,
        window=window,
        sources=sources,
        profiles=tuple(profiles),
        features=features,
        model_tables=raw.get("model"),
        labels_tables=raw.get("labels"),
        outputs=outputs,
        record=record,
        path=path,
        raw=raw,
    )
