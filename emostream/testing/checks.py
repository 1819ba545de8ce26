"""Conformance checks for feature extractors, like `river.checks` for estimators.

`check_extractor(MyExtractor)` runs the checks the built-in extractors pass, on a plausible
input of the extractor's first stream kind rendered from the synthetic wearer (or on the
`(spec, timestamps, data)` you give), and raises AssertionError saying which check failed:

- it declares `name`, `kinds` and a `Params` dataclass that builds with no arguments;
- its columns are lower-case `<signal>_<feature>[_<unit>]` names holding finite floats,
  qualities are within 0..1, and a window without features says why (`reasons`);
- missing input (a stretch of NaN samples) never raises and never gives NaN: features are
  absent instead;
- it is causal: a window's output does not depend on samples after the window's end, even
  when the extractor has already been given them;
- it is deterministic: two fresh instances give the same outputs;
- streamed in small chunks it gives what it gives when each window's samples come at once;
- a gap in the input (samples missing for a while) never raises;
- `reset()` forgets everything;
- told to keep only a window and two hops of its stream (`history_s`, as a pipeline tells
  it, when its constructor takes it), it gives what it gives keeping ten minutes.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np

from emostream.core.spec import KNOWN_KINDS, StreamSpec
from emostream.features.base import Extractor, ExtractorOutput, make_extractor
from emostream.synth.physiology import EEG_CHANNELS
from emostream.synth.streams import renderer_for
from emostream.testing.wearer import WearerSignals
from emostream.windowing import StreamSlice, Window

#: example input length, window length and hop (s)
DURATION_S, LENGTH_S, HOP_S = 80.0, 30.0, 5.0
#: lower-case `<signal>_<feature>[_<unit>]`
COLUMN_RE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$")
_T0_S = 1000.0
#: kind → (rate Hz, channels, unit) of the example input rendered from the synthetic wearer
_RENDERED = {
    "ECG": (250.0, ("ECG",), "millivolts"),
    "PPG": (64.0, ("PPG",), "normalized"),
    "EDA": (4.0, ("EDA",), "microsiemens"),
    "RSP": (50.0, ("RSP",), "normalized"),
    "TEMP": (4.0, ("TEMP",), "celsius"),
    "EEG": (256.0, EEG_CHANNELS, "microvolts"),
    "Audio": (8000.0, ("mic",), "normalized"),
}

Stream = tuple[StreamSpec, np.ndarray, np.ndarray]


def example_stream(kind: str, duration_s: float = DURATION_S, seed: int = 1) -> Stream:
    """A plausible (spec, timestamps, data) of `kind`, from the synthetic wearer."""
    wearer = WearerSignals(seed, session_s=duration_s + 60.0)
    if kind in ("RR", "HR"):
        beats_s = wearer.timeline.beat_t_s
        beats_s = beats_s[(beats_s > 0) & (beats_s <= duration_s)]
        rr_ms = np.diff(beats_s) * 1000.0
        if kind == "RR":
            return _spec(kind, 0.0, ("RR",), "ms"), _T0_S + beats_s[1:], rr_ms[:, None]
        t_s = np.arange(1.0, duration_s)
        hr_bpm = np.interp(t_s, beats_s[1:], 60000.0 / rr_ms)
        return _spec(kind, 1.0, ("HR",), "bpm"), _T0_S + t_s, hr_bpm[:, None]
    if kind == "ACC":
        rng = np.random.default_rng(seed)
        xyz = rng.normal(0.0, 0.02, (int(duration_s * 32), 3)) + np.array([0.0, 0.0, 1.0])
        return _regular(_spec(kind, 32.0, ("x", "y", "z"), "g"), xyz)
    if kind == "Text":
        from emostream.core.spec import text_spec
        from emostream.synth.text import text_stream

        t_s, texts = text_stream(wearer.timeline, seed, mean_gap_s=4.0)
        keep = (t_s > 0) & (t_s <= duration_s)
        data = np.array([[text] for text, k in zip(texts, keep, strict=True) if k], dtype=object)
        return text_spec("check-Text", "check:text"), _T0_S + t_s[keep], data
    if kind == "Face":
        from emostream.features.face import face_channels

        rate_hz, channels, unit = 10.0, face_channels(), "normalized"
    elif kind in _RENDERED:
        rate_hz, channels, unit = _RENDERED[kind]
    else:
        raise AssertionError(f"no example input for stream kind {kind!r}: pass stream=(...)")
    renderer = renderer_for(wearer.timeline, kind, rate_hz, seed)
    _, data = renderer.render(int(duration_s * rate_hz))
    return _regular(_spec(kind, rate_hz, channels, unit), data)


def _spec(kind: str, rate_hz: float, channels: tuple[str, ...], unit: str) -> StreamSpec:
    units = (unit,) * len(channels)
    return StreamSpec(kind, f"check-{kind}", channels, units, rate_hz, f"check:{kind.lower()}")


def _regular(spec: StreamSpec, data: np.ndarray) -> Stream:
    data = np.asarray(data, dtype=np.float64).reshape(len(data), -1)
    return spec, _T0_S + np.arange(1, len(data) + 1) / spec.rate_hz, data


def run_windows(
    extractor: Extractor, stream: Stream, chunk: int | None = None, *, ahead: bool = False
) -> list[ExtractorOutput]:
    """Each window's output, fed as the pipeline does: a window's new samples before it is
    computed (in pieces of `chunk` samples when given). With `ahead`, every sample is given
    first and the windows are computed afterwards."""
    spec, ts, data = stream
    key = spec.kind.lower()
    if ahead:
        extractor.update(ts, data)
    outputs, prev_end = [], -math.inf
    for t_end in _window_ends(ts):
        t_start = t_end - LENGTH_S
        lo, hi = np.searchsorted(ts, (prev_end, t_end), side="right")
        if not ahead:
            step = chunk or max(hi - lo, 1)
            for i in range(lo, hi, step):
                extractor.update(ts[i : min(i + step, hi)], data[i : min(i + step, hi)])
        w_lo, w_hi = np.searchsorted(ts, (t_start, t_end), side="right")
        part = StreamSlice(spec, ts[w_lo:w_hi], data[w_lo:w_hi], ts[lo:hi], data[lo:hi])
        coverage = _coverage(spec, ts[w_lo:w_hi], data[w_lo:w_hi])
        window = Window(0, t_start, t_end, {key: part}, [], [], {key: coverage}, {key: ()})
        outputs.append(extractor.compute(window, key))
        prev_end = t_end
    return outputs


def _coverage(spec: StreamSpec, ts: np.ndarray, data: np.ndarray) -> float:
    if spec.is_irregular:
        return 1.0 if ts.size else 0.0
    n_ok = int(np.isfinite(data).all(axis=1).sum())
    return min(1.0, n_ok / (LENGTH_S * spec.rate_hz))


def check_extractor(
    extractor: type[Extractor] | Extractor,
    *,
    params: Any = None,
    stream: Stream | None = None,
) -> None:
    """Run every conformance check on an extractor class (or an instance, whose class and
    params are used); AssertionError names the check that failed and why."""
    cls = type(extractor) if isinstance(extractor, Extractor) else extractor
    if isinstance(extractor, Extractor):
        params = extractor.params if params is None else params
    name = getattr(cls, "__name__", repr(cls))
    _check_declaration(cls, name)
    params = cls.Params() if params is None else params
    stream = stream or example_stream(cls.kinds[0])

    def fresh() -> Extractor:
        return cls(stream[0], params)

    reference = run_windows(fresh(), stream)
    _check_outputs(name, "on the example input", reference, require_values=True)
    for check in (_check_missing_input, _check_gap):
        check(name, fresh, stream)
    _check_same(
        name, "two fresh instances (not deterministic)", reference, run_windows(fresh(), stream)
    )
    chunked = run_windows(fresh(), stream, chunk=7)
    _check_same(name, "streamed in 7-sample chunks and in one piece per window", reference, chunked)
    _check_causal(name, fresh, stream)
    short = run_windows(make_extractor(cls, stream[0], params, LENGTH_S + 2 * HOP_S), stream)
    _check_same(
        name, "keeping a window and two hops (history_s) and keeping more", reference, short
    )
    used = fresh()
    run_windows(used, stream)
    used.reset()
    _check_same(name, "after reset() and when new", reference, run_windows(used, stream))


def _check_declaration(cls: type[Extractor], name: str) -> None:
    assert isinstance(getattr(cls, "name", None), str) and cls.name, f"{name}: set `name`"
    kinds = getattr(cls, "kinds", ())
    assert kinds and set(kinds) <= set(KNOWN_KINDS), (
        f"{name}: `kinds` must name stream kinds among {', '.join(KNOWN_KINDS)}; got {kinds!r}"
    )
    params_cls = getattr(cls, "Params", None)
    assert isinstance(params_cls, type) and dataclasses.is_dataclass(params_cls), (
        f"{name}: `Params` must be a dataclass"
    )
    try:
        params_cls()
    except TypeError as exc:
        raise AssertionError(
            f"{name}: `Params()` needs a default for every field ({exc})"
        ) from None


def _check_outputs(
    name: str, what: str, outputs: list[ExtractorOutput], *, require_values: bool = False
) -> None:
    assert outputs, f"{name}: no window to check {what}"
    if require_values:
        assert any(o.values for o in outputs), f"{name}: no features at all {what}"
    for k, out in enumerate(outputs):
        for column, value in out.values.items():
            assert COLUMN_RE.match(column), (
                f"{name}: column {column!r} is not a lower-case <signal>_<feature>_<unit> name"
            )
            assert isinstance(value, float) and math.isfinite(value), (
                f"{name}: window {k} {what}: {column} = {value!r}; an absent feature is a missing "
                "key, never NaN, inf or a non-float"
            )
        for signal, q in out.quality.items():
            assert 0.0 <= q <= 1.0, f"{name}: window {k} {what}: quality {signal} = {q!r}"
        assert out.values or out.reasons, (
            f"{name}: window {k} {what} has no features and no reason why"
        )


def _check_missing_input(name: str, fresh: Callable[[], Extractor], stream: Stream) -> None:
    spec, ts, data = stream
    holed = data.copy()
    holed[(ts > ts[0] + 20.0) & (ts <= ts[0] + 32.0)] = np.nan
    try:
        outputs = run_windows(fresh(), (spec, ts, holed))
    except Exception as exc:
        raise AssertionError(f"{name}: NaN samples (missing input) raised {exc!r}") from exc
    _check_outputs(name, "with 12 s of NaN samples", outputs)


def _check_gap(name: str, fresh: Callable[[], Extractor], stream: Stream) -> None:
    spec, ts, data = stream
    keep = (ts <= ts[0] + 20.0) | (ts > ts[0] + 32.0)
    try:
        outputs = run_windows(fresh(), (spec, ts[keep], data[keep]))
    except Exception as exc:
        raise AssertionError(f"{name}: a 12 s gap in the input raised {exc!r}") from exc
    _check_outputs(name, "with a 12 s gap", outputs)


def _check_causal(name: str, fresh: Callable[[], Extractor], stream: Stream) -> None:
    """Given every sample first, windows ending before a change must not see it."""
    spec, ts, data = stream
    cut_s = ts[0] + LENGTH_S + 2 * HOP_S + HOP_S / 2
    changed = data.copy()
    later = ts > cut_s
    changed[later] = data[later][::-1]  # the same samples, in another order
    before = run_windows(fresh(), stream, ahead=True)
    after = run_windows(fresh(), (spec, ts, changed), ahead=True)
    n_before = sum(1 for t_end in _window_ends(ts) if t_end < cut_s)
    _check_same(
        name,
        "when samples after the window's end change (not causal)",
        before[:n_before],
        after[:n_before],
    )


def _window_ends(ts: np.ndarray) -> np.ndarray:
    first_end = math.ceil((ts[0] + LENGTH_S) / HOP_S) * HOP_S
    return np.arange(first_end, ts[-1] + 1e-9, HOP_S)


def _check_same(name: str, what: str, a: list[ExtractorOutput], b: list[ExtractorOutput]) -> None:
    assert len(a) == len(b), f"{name}: {len(a)} vs {len(b)} windows {what}"
    for k, (x, y) in enumerate(zip(a, b, strict=True)):
        assert x.values.keys() == y.values.keys(), (
            f"{name}: window {k} gives different columns {what}: "
            f"{sorted(x.values.keys() ^ y.values.keys())}"
        )
        for column, value in x.values.items():
            assert math.isclose(value, y.values[column], rel_tol=1e-9, abs_tol=1e-12), (
                f"{name}: window {k}: {column} is {value!r} vs {y.values[column]!r} {what}"
            )
