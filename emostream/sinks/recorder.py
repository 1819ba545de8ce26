"""Crash-safe recorder: every raw stream, window, prediction and emitted marker of a session.

Hooks only enqueue; a writer thread hands them to the session format's writer
(`emostream.formats.session.writer.SessionFiles`: Arrow IPC record batches for streams and
the arrival log, JSON lines for features, predictions and events) and flushes at least every
`flush_interval_s`, so a killed process loses at most that much. A clean close finalises the
folder to Parquet (`emostream.formats.session.writer.finalise`). The recorder keeps the
hooks, the queue, the thread and the consent checks; the files are the format's. A write error (disk full, I/O) stops
the recording, is reported through `on_error` and the log, and never stops the live pipeline.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import platform
import queue
import re
import threading
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from emostream import __version__
from emostream.consent import ConsentRecord, check_pseudonym, consent_record, require_consent
from emostream.core.clock import lsl_now_s, unix_now_s
from emostream.core.events import ClockOffset
from emostream.core.spec import StreamSpec
from emostream.errors import RecordingError, UsageError
from emostream.formats.session.layout import (
    FORMAT_NAME,
    FORMAT_VERSION,
    SESSION_JSON,
    STREAMS_DIR,
    session_dir_name,
    spec_to_json,
    unique_key,
)
from emostream.formats.session.writer import SessionFiles, finalise, write_json_atomic
from emostream.sinks.base import Sink
from emostream.windowing import stream_key

if TYPE_CHECKING:
    from emostream.core.chunk import Chunk
    from emostream.core.events import Gap, StatusEvent
    from emostream.features.base import FeatureVector
    from emostream.sinks.config import RecordConfig
    from emostream.sources.base import Source

log = logging.getLogger(__name__)

#: keys dropped from device info before it is saved: they identify a person's device
_IDENTIFYING_KEYS = frozenset(
    {"address", "mac", "mac_address", "ble_address", "serial", "serial_number", "owner", "email"}
)
_VERSIONED = ("numpy", "pyarrow", "pylsl", "river", "neurokit2", "scipy")
_STOP = object()


def scrub_identifiers(obj: Any) -> Any:
    """Copy of `obj` (JSON-like) without keys that identify a device or a person."""
    if isinstance(obj, dict):
        return {
            k: scrub_identifiers(v)
            for k, v in obj.items()
            if str(k).lower() not in _IDENTIFYING_KEYS
        }
    if isinstance(obj, (list, tuple)):
        return [scrub_identifiers(v) for v in obj]
    return obj


def to_jsonable(obj: Any) -> Any:
    """Dataclasses, paths, numpy scalars and tuples as plain JSON values."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, (str, int, float, bool)) or obj is None:
        return obj
    return str(obj)


def software_versions() -> dict[str, str]:
    out = {"emostream": __version__, "python": platform.python_version()}
    for name in _VERSIONED:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def _clock_pair() -> dict[str, Any]:
    lsl = lsl_now_s()
    unix = unix_now_s()
    iso = dt.datetime.fromtimestamp(unix, tz=dt.UTC).isoformat()
    return {"unix_s": unix, "lsl_s": lsl, "utc": iso}


class RecorderSink(Sink):
    """Records a session into `root/sub-<subject>_ses-<n>_<YYYYMMDD>/`.

    `live=True` means a person is being recorded: `consent` must then include the `record`
    scope, or construction fails with a message saying how to state it. `on_open` is called
    with the session folder once it exists; `on_error` (from the writer thread) with the
    RecordingError when recording stops on a write error.
    """

    def __init__(
        self,
        root: str | Path = "recordings",
        *,
        subject: str = "anon",
        consent: ConsentRecord | None = None,
        live: bool = True,
        flush_interval_s: float = 0.5,
        fsync: bool = True,
        on_error: Callable[[RecordingError], None] | None = None,
        on_open: Callable[[Path], None] | None = None,
    ) -> None:
        self.subject = check_pseudonym(subject)
        require_consent(consent, live=live)
        if not 0 < flush_interval_s <= 1.0:
            raise UsageError(f"flush_interval_s must be in (0, 1] s (got {flush_interval_s})")
        self.root = Path(root)
        self.consent = consent
        self.live = live
        self.flush_interval_s = flush_interval_s
        self.fsync = fsync
        self.on_error = on_error
        self.on_open = on_open
        self.path: Path | None = None
        self.error: RecordingError | None = None
        self.n_dropped_samples = 0
        self._sources: list[Source] = []
        self._keys: dict[StreamSpec, int] = {}
        self._specs: dict[str, StreamSpec] = {}
        self._meta: dict[str, Any] = {}
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._closed = False

    @classmethod
    def from_config(
        cls,
        config: RecordConfig,
        *,
        live: bool,
        root: str | Path | None = None,
        subject: str = "anon",
        consent: str | None = None,
        on_error: Callable[[RecordingError], None] | None = None,
        on_open: Callable[[Path], None] | None = None,
        consent_via: str = "--consent flag",
    ) -> RecorderSink:
        """From a pipeline's `[record]` table plus the CLI: `--record DIR` (`root`), `--subject`
        and `--consent SCOPES` (or a wearer's own consent, stated via `consent_via`), which
        wins over the table's `consent`."""
        check_pseudonym(subject)
        via = consent_via if consent else "pipeline [record] consent"
        record = consent_record(subject, consent or config.consent, via)
        return cls(
            root if root is not None else config.dir,
            subject=subject,
            consent=record,
            live=live,
            on_error=on_error,
            on_open=on_open,
        )

    # -- Sink hooks (event loop thread: enqueue only) ----------------------------------------
    def open(self, session: Any = None) -> None:
        """Create the session folder and session.json; raises RecordingError if impossible."""
        started = _clock_pair()
        date = started["utc"][:10].replace("-", "")
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            self.path = self._new_folder(date)
            (self.path / STREAMS_DIR).mkdir()
            self._meta = {
                "format": FORMAT_NAME,
                "format_version": FORMAT_VERSION,
                "status": "recording",
                "subject": self.subject,
                "session": int(self.path.name.split("_ses-")[1].split("_")[0]),
                "live": self.live,
                "consent": self.consent.to_json() if self.consent else None,
                "started": started,
                "ended": None,
                "software": software_versions(),
                "run": scrub_identifiers(to_jsonable(session)),
                "recorder": {"flush_interval_s": self.flush_interval_s, "fsync": self.fsync},
                "streams": {},
            }
            write_json_atomic(self.path / SESSION_JSON, self._meta)
        except OSError as exc:
            raise RecordingError(
                f"cannot create the session folder: {exc.strerror or exc}",
                file=self.path or self.root,
            ) from None
        self._thread = threading.Thread(target=self._writer, name="emostream-recorder", daemon=True)
        self._thread.start()
        if self.on_open is not None:
            self.on_open(self.path)

    def _new_folder(self, date: str) -> Path:
        pattern = re.compile(rf"^sub-{re.escape(self.subject)}_ses-(\d+)_\d{{8}}$")
        taken = [int(m.group(1)) for p in self.root.iterdir() if (m := pattern.match(p.name))]
        n = max(taken, default=0) + 1
        while True:
            path = self.root / session_dir_name(self.subject, n, date)
            try:
                path.mkdir()
                return path
            except FileExistsError:
                n += 1

    def watch_sources(self, sources: Sequence[Source]) -> None:
        """Record each source's timestamp checks (`Source.timestamp_stats`) in session.json at
        the end."""
        self._sources.extend(sources)

    def on_event(self, event: StatusEvent) -> None:
        """Clock offsets and link changes go to the events table."""
        if isinstance(event, ClockOffset):
            self.record_clock_offset(event.source_id, event.measured_at_s, event.offset_s)
        else:
            fields = {f: getattr(event, f) for f in ("source_id", "state", "battery_pct", "n_gaps")}
            self.record_event("link", event.t_s, **fields)

    def on_chunk(self, chunk: Chunk) -> None:
        if self._thread is None or self._closed:
            return
        idx = self._keys.get(chunk.spec)
        if idx is None:
            key = unique_key(stream_key(chunk.spec), self._specs)
            idx = self._keys[chunk.spec] = len(self._keys)
            self._specs[key] = chunk.spec
            self._queue.put(("stream", key, chunk.spec, chunk.data.dtype))
        self._queue.put(("chunk", idx, chunk, lsl_now_s()))

    def on_gap(self, gap: Gap) -> None:
        if self._thread is not None and not self._closed:
            self._queue.put(("gap", gap, lsl_now_s()))

    def on_window(self, features: FeatureVector, prediction: dict[str, object] | None) -> None:
        if self._thread is None or self._closed:
            return
        self._queue.put(("features", features.row()))
        if prediction is not None:
            self._queue.put(("predictions", dict(prediction)))

    def on_marker(self, t_s: float, marker: str) -> None:
        self.record_event("marker", t_s, text=marker)

    def record_clock_offset(self, source_id: str, t_s: float, offset_s: float) -> None:
        """A clock offset measured for a source (LSL time_correction), kept for provenance."""
        self.record_event("clock_offset", t_s, source_id=source_id, value=offset_s)

    def record_event(self, kind: str, t_s: float, **fields: Any) -> None:
        if self._thread is not None and not self._closed:
            self._queue.put(("events", {"kind": kind, "t_s": t_s, **to_jsonable(fields)}))

    def close(self) -> None:
        """Flush, finalise to Parquet and write the end time. Safe to call twice."""
        if self._closed or self._thread is None or self.path is None:
            self._closed = True
            return
        self._closed = True
        self._queue.put(_STOP)
        self._thread.join()
        if self.error is not None:
            return  # leftovers stay; reading the folder later recovers them
        try:
            self._meta["ended"] = _clock_pair()
            self._meta["n_dropped_samples"] = self.n_dropped_samples
            self._meta["timestamps"] = {
                source_id: dataclasses.asdict(stats)
                for source in self._sources
                for source_id, stats in source.timestamp_stats().items()
            }
            write_json_atomic(self.path / SESSION_JSON, self._meta)
            notes = finalise(self.path, status="complete")
        except OSError as exc:
            self._fail(exc, self.path)
            return
        for note in notes:
            log.warning("recorder: %s", note)

    # -- writer thread -------------------------------------------------------------------------
    def _writer(self) -> None:
        assert self.path is not None
        files = SessionFiles(self.path, self.fsync)
        next_flush = lsl_now_s() + self.flush_interval_s
        try:
            while True:
                timeout = max(0.0, next_flush - lsl_now_s())
                try:
                    item = self._queue.get(timeout=timeout)
                except queue.Empty:
                    item = None
                if item is _STOP:
                    if self.error is None:
                        files.flush()
                    break
                if item is not None:
                    if self.error is not None:
                        self._count_dropped(item)
                        continue
                    self._handle(files, item)
                if self.error is None and lsl_now_s() >= next_flush:
                    files.flush()
                    next_flush = lsl_now_s() + self.flush_interval_s
        except Exception as exc:  # disk full, I/O, or data the files cannot hold: report, go on
            self._fail(exc, files.current or self.path)
            self._drain()
        finally:
            files.close()

    def _handle(self, files: SessionFiles, item: tuple[Any, ...]) -> None:
        kind = item[0]
        if kind == "chunk":
            _, idx, chunk, arrival = item
            files.add_chunk(idx, chunk, arrival)
        elif kind == "stream":
            _, key, spec, dtype = item
            files.add_stream(key, spec, dtype)
            self._meta["streams"][key] = spec_to_json(spec)
            write_json_atomic(self.path / SESSION_JSON, self._meta)  # type: ignore[operator]
        elif kind == "gap":
            _, gap, arrival = item
            files.add_gap(gap, arrival)
        else:
            files.add_row(kind, to_jsonable(item[1]))

    def _count_dropped(self, item: Any) -> None:
        if isinstance(item, tuple) and item[0] == "chunk":
            self.n_dropped_samples += len(item[2])

    def _drain(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            self._count_dropped(item)

    def _fail(self, exc: Exception, file: Path) -> None:
        reason = getattr(exc, "strerror", None) or str(exc)
        self.error = RecordingError(
            f"recording stopped: {reason}; everything flushed before this is "
            "kept and the live pipeline keeps running",
            file=file,
        )
        log.error("%s", self.error)
        if self.on_error is not None:
            self.on_error(self.error)
