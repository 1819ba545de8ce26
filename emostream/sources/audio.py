"""Audio sources for the voice features: an LSL `Audio` outlet, a WAV file, or a microphone.

All three give one regular `Audio` stream of float32 samples in [-1, 1] on the LSL clock.
The microphone needs the optional `sounddevice` package (`pip install 'emostream[voice]'`)
and the PortAudio library; when either, or an input device, is missing it raises a
`DeviceError` that says which and how to fix it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import numpy as np

from emostream.core.chunk import Chunk
from emostream.core.clock import lsl_now_s
from emostream.core.events import Gap, SourceEvent
from emostream.core.spec import StreamSpec
from emostream.errors import DeviceError, StreamError
from emostream.formats.wav import AUDIO_KIND, audio_spec, read
from emostream.sources.base import Source
from emostream.sources.lsl import LslQuery, LslSource
from emostream.timing import PacketClock

#: microphone blocks queued for the consumer before the oldest are dropped (and counted)
MIC_QUEUE_BLOCKS = 256


# -- WAV file -------------------------------------------------------------------------------
def wav_source(path: str | Path, *, speed: float | None = None, t0_s: float | None = None):
    """Replay a WAV file as an `Audio` source (paced to `speed` × real time, or unpaced)."""
    from emostream.sources.recording import RecordingSource

    start = lsl_now_s() if t0_s is None else t0_s
    return RecordingSource(read(Path(path), t0_s=start), speed=speed)


# -- LSL ------------------------------------------------------------------------------------
def lsl_audio_source(name: str = "", source_id: str = "", resolve_timeout_s: float = 5.0):
    """Subscribe to an LSL outlet of type `Audio` (optionally by name or source_id)."""
    source = LslSource(
        LslQuery(name=name, type=AUDIO_KIND, source_id=source_id),
        resolve_timeout_s=resolve_timeout_s,
    )
    if source.spec.is_irregular:
        raise StreamError(f"LSL audio stream '{source.spec.name}' must have a nominal rate")
    return source


# -- microphone -----------------------------------------------------------------------------
def _sounddevice() -> Any:
    try:
        import sounddevice
    except ImportError:
        raise DeviceError(
            "microphone input needs the sounddevice package: pip install 'emostream[voice]'"
        ) from None
    except OSError as exc:  # sounddevice raises this when libportaudio is missing
        raise DeviceError(
            f"microphone input needs the PortAudio library ({exc}); install it, e.g. "
            "`apt-get install libportaudio2`, or use an LSL or WAV audio source"
        ) from None
    return sounddevice


def input_device(device: int | str | None) -> dict[str, Any]:
    """The sounddevice description of an input device, or a DeviceError."""
    sd = _sounddevice()
    try:
        info = sd.query_devices(device, "input")
    except (ValueError, sd.PortAudioError) as exc:
        which = "the default input device" if device is None else f"input device {device!r}"
        raise DeviceError(
            f"no microphone: {which} is not available ({exc}); list devices with "
            "`python -m sounddevice`"
        ) from None
    if info.get("max_input_channels", 0) < 1:
        raise DeviceError(f"device {info.get('name')!r} has no input channels")
    return dict(info)


class MicrophoneSource(Source):
    """Live microphone via PortAudio. Block times come from the audio clock's capture time
    (ADC) mapped to the LSL clock and smoothed over blocks, so samples are evenly spaced."""

    def __init__(
        self,
        device: int | str | None = None,
        *,
        rate_hz: float = 16000.0,
        channels: int = 1,
        block_s: float = 0.05,
        name: str = "Microphone",
    ):
        self._sd = _sounddevice()
        info = input_device(device)
        self.device = device
        self.rate_hz = float(rate_hz)
        self.block = max(1, round(block_s * rate_hz))
        self._spec = audio_spec(name, f"mic:{info.get('index', device)}", self.rate_hz, channels)
        self.n_dropped_blocks = 0
        self.n_overflows = 0
        self._closed = False

    @property
    def specs(self) -> tuple[StreamSpec, ...]:
        return (self._spec,)

    async def events(self) -> AsyncIterator[SourceEvent]:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue = asyncio.Queue(maxsize=MIC_QUEUE_BLOCKS)
        clock = PacketClock(self.rate_hz)
        n_samples = 0

        def put(item: tuple[np.ndarray, float, bool]) -> None:
            if queue.full():
                queue.get_nowait()
                self.n_dropped_blocks += 1
            queue.put_nowait(item)

        def callback(indata, frames, time_info, status) -> None:  # PortAudio thread
            # LSL time of the block's last sample: now, minus how long ago the ADC took it
            age_s = time_info.currentTime - time_info.inputBufferAdcTime
            if not 0.0 <= age_s < 1.0:  # host API gives no ADC time
                age_s = 0.0
            t_last = lsl_now_s() - age_s + (frames - 1) / self.rate_hz
            loop.call_soon_threadsafe(put, (indata.copy(), t_last, bool(status.input_overflow)))

        stream = self._sd.InputStream(
            samplerate=self.rate_hz,
            blocksize=self.block,
            device=self.device,
            channels=self._spec.n_channels,
            dtype="float32",
            callback=callback,
        )
        with stream:
            last_t: float | None = None
            while not self._closed:
                try:
                    data, t_last, overflow = await asyncio.wait_for(queue.get(), timeout=0.5)
                except TimeoutError:
                    continue
                n = data.shape[0]
                clock.add_packet(n_samples + n - 1, t_last)
                ts = clock.to_lsl(np.arange(n_samples, n_samples + n))
                n_samples += n
                if overflow:
                    self.n_overflows += 1
                    if last_t is not None:
                        yield Gap(self._spec.source_id, last_t, float(ts[0]), "input overflow")
                yield Chunk(self._spec, ts, data, np.full(n, t_last))
                last_t = float(ts[-1])

    async def aclose(self) -> None:
        self._closed = True
