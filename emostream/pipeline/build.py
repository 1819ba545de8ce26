"""Assemble a running pipeline from its config: sources, model, sinks."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from emostream.core.clock import lsl_now_s
from emostream.core.registry import Registry, UnknownNameError
from emostream.core.spec import StreamSpec
from emostream.errors import ConfigError, UsageError
from emostream.pipeline.config import PipelineConfig
from emostream.profiles import DeviceProfile
from emostream.sources.base import Source
from emostream.sources.ble import BleBackend
from emostream.sources.config import SourceConfig
from emostream.sources.factory import (
    SIMULATE,
    WEARABLES,
    Connection,
    check_wearable,
    make_source,
    parse_e4_address,
)

if TYPE_CHECKING:
    from emostream.models.config import ModelConfig
    from emostream.models.online import OnlineStateModel


#: how a `[[sources]]` entry of each transport becomes a Source: (config, index, speed, t0_s)
TRANSPORTS: Registry[Callable[[PipelineConfig, int, float | None, float | None], Source]] = (
    Registry("transport")
)


def build_live_source(
    config: PipelineConfig, index: int, *, speed: float | None = None, t0_s: float | None = None
) -> Source:
    """The source for `[[sources]]` entry `index`, for a live or demo run."""
    profile = config.profiles[index]
    transport = "recording" if profile is None else profile.device.transport
    try:
        build = TRANSPORTS.get(transport)
    except UnknownNameError as exc:
        path = profile.path if profile is not None else config.path
        raise ConfigError(str(exc), file=path, key="device.transport") from None
    return build(config, index, speed, t0_s)


def _wearable(
    config: PipelineConfig, index: int, speed: float | None, t0_s: float | None
) -> Source:
    return build_device_source(_profile(config, index), config.sources[index])


for _transport in WEARABLES:
    TRANSPORTS.register(_transport, _wearable)


def _profile(config: PipelineConfig, index: int) -> DeviceProfile:
    profile = config.profiles[index]
    assert profile is not None, "a device source has a profile"
    return profile


def build_device_source(profile: DeviceProfile, source: SourceConfig) -> Source:
    """The source for a pipeline `[[sources]]` entry whose profile is a wearable.

    `address`: BLE MAC (macOS: device UUID); for the E4 `[device_id@]host[:port]` or a device
    id; `"simulate"` for the virtual device. BLE needs an address here: a pipeline's
    source_ids must be stable, so they cannot depend on whichever device a scan finds first.
    """
    check_wearable(profile)
    if source.address == SIMULATE:
        from emostream.testing.simulate import SimulatedDevice

        return SimulatedDevice(profile)
    if profile.device.transport == "e4-tcp":
        return make_source(profile, parse_e4_address(source.address))
    if not source.address:
        raise ConfigError(
            f'give the {profile.name} address (see `emostream devices scan`), or "simulate"',
            key="sources.address",
        )
    return make_source(profile, Connection(address=source.address, backend=BleBackend()))


def build_live_sources(config: PipelineConfig, *, speed: float | None = None) -> list[Source]:
    """Every `[[sources]]` entry's source; a pipeline for live use needs at least one."""
    if not config.sources:
        raise ConfigError(
            "has no [[sources]]: it can process recordings (`emostream process`), not run live",
            file=config.path,
            key="sources",
        )
    return [build_live_source(config, i, speed=speed) for i in range(len(config.sources))]


@TRANSPORTS.register("recording")
def _recording(
    config: PipelineConfig, index: int, speed: float | None, t0_s: float | None
) -> Source:
    """A recording replayed at `speed` (relative paths are relative to the pipeline file)."""
    source = config.sources[index]
    from emostream.formats.registry import read_recording
    from emostream.sources.recording import RecordingSource

    path = Path(source.recording)
    if not path.is_absolute() and config.path is not None and not path.exists():
        path = config.path.parent / path
    _, recording = read_recording(path)
    return RecordingSource(recording, speed=source.speed or None)


@TRANSPORTS.register("synthetic")
def _synthetic(
    config: PipelineConfig, index: int, speed: float | None, t0_s: float | None
) -> Source:
    source, profile = config.sources[index], _profile(config, index)
    from emostream.sources.synthetic import SyntheticWearerSource

    pace = source.speed if speed is None else speed
    return SyntheticWearerSource(
        seed=source.seed,
        duration_s=source.duration_s or None,
        speed=pace or None,
        t0_s=lsl_now_s() if t0_s is None else t0_s,
        profile=profile,
        kinds=source.kinds or None,
    )


@TRANSPORTS.register("lsl")
def _lsl(config: PipelineConfig, index: int, speed: float | None, t0_s: float | None) -> Source:
    """An LSL profile may list several streams; a pipeline source picks one by kind."""
    source, profile = config.sources[index], _profile(config, index)
    from emostream.sources.host_clock import HOST_CLOCKS
    from emostream.sources.lsl import LslQuery, LslSource
    from emostream.sync import with_latency

    entries = [e for e in profile.streams if not source.kinds or e.kind in source.kinds]
    if len(entries) != 1 and not (source.name or source.source_id):
        raise ConfigError(
            f"device '{profile.name}' has {len(entries)} streams; pick one with kinds = [\"ECG\"]",
            file=config.path,
            key=f"sources[{index}].kinds",
        )
    entry = entries[0] if entries else None
    query = LslQuery(
        name=source.name,
        type=(entry.match_type if entry else "") if not source.name else "",
        source_id=source.source_id or (entry.match_source_id if entry else ""),
    )
    inlet = LslSource(
        query,
        resolve_timeout_s=source.resolve_timeout_s,
        host_clocks=HOST_CLOCKS if source.shared_clock else None,
    )
    return with_latency(inlet, profile.device.latency_s)


def build_model(
    config: PipelineConfig,
    model_path: Path | None,
    feature_names: Sequence[str] | None = None,
    *,
    trust_model_file: bool = False,
) -> OnlineStateModel | None:
    """The pipeline's online model: loaded from `model_path` if it exists, else new.

    A pickled model file is read only with `trust_model_file` (see docs/models.md).
    """
    if not config.has_model:
        if model_path is not None:
            raise UsageError(f"--model given but {config.path} has no [model] table")
        return None
    from emostream.models.online import OnlineStateModel

    model_config = _model_config(config)
    if model_path is not None and model_path.exists():
        model = OnlineStateModel.load(
            model_path,
            model_config,
            config_hash=config.config_hash,
            trust_pickle=trust_model_file,
            adopt_classes="classes" not in (config.labels_tables or {}),
        )
        model.new_session()  # a new wearer session: fresh baseline, label queue and budget
        return model
    return OnlineStateModel(model_config, config_hash=config.config_hash)


def _model_config(config: PipelineConfig) -> ModelConfig:
    from emostream.models.config import ModelConfig

    return ModelConfig.from_tables(config.model_tables, config.labels_tables, file=config.path)


def check_model_path(
    path: Path, *, read: bool, write: bool, config: PipelineConfig | None = None
) -> None:
    """Refuse (UsageError) a `--model` path before any work starts: a file to read must be
    readable, a file to write must be in a writable folder, and (given `config`) the
    pipeline's learner must be storable as data unless `[model] allow_pickle` is set."""
    if path.is_dir():
        raise UsageError(f"--model {path}: is a folder; give a model file")
    if read:
        try:
            with path.open("rb") as fh:
                fh.read(1)
        except FileNotFoundError:
            raise UsageError(f"--model {path}: no such file; check the path") from None
        except OSError as exc:
            raise UsageError(f"--model {path}: cannot read: {exc.strerror}") from None
    if write:
        folder = path.parent
        try:
            with tempfile.NamedTemporaryFile(dir=folder, prefix=f".{path.name}."):
                pass
        except OSError as exc:
            raise UsageError(
                f"--model {path}: cannot write in {folder}: {exc.strerror}; "
                "choose a writable folder that exists"
            ) from None
    if config is not None:
        if not config.has_model:
            raise UsageError(f"--model given but {config.path} has no [model] table")
        if write:
            _check_storable(config)


def _check_storable(config: PipelineConfig) -> None:
    from emostream.models.learners import build_classifier
    from emostream.models.state import NotStorableError, ensure_storable

    model_config = _model_config(config)
    if model_config.allow_pickle:
        return
    try:
        ensure_storable(build_classifier(model_config))
    except NotStorableError:
        raise ConfigError(
            f"learner '{model_config.learner}' cannot be saved as data; set "
            "`allow_pickle = true` in [model] to save it as a pickle (see docs/models.md)",
            file=config.path,
            key="model.learner",
        ) from None


def all_specs(sources: Sequence[Source]) -> list[StreamSpec]:
    return [spec for source in sources for spec in source.specs]
