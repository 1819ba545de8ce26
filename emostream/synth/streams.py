"""One renderer per stream kind: physiology, face and voice share the `render(n)` interface."""

from __future__ import annotations

from emostream.synth.face import FaceRenderer
from emostream.synth.physiology import StreamRenderer, Timeline
from emostream.synth.voice import VoiceRenderer

Renderer = StreamRenderer | FaceRenderer | VoiceRenderer


def renderer_for(timeline: Timeline, kind: str, rate_hz: float, seed: int) -> Renderer:
    """The renderer of a synthetic stream of `kind` (ECG, PPG, EDA, RSP, TEMP, EEG, Face, Audio)."""
    if kind == "Face":
        return FaceRenderer(timeline, rate_hz, seed)
    if kind == "Audio":
        return VoiceRenderer(timeline, rate_hz, seed)
    return StreamRenderer(timeline, kind, rate_hz, seed)
