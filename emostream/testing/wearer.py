"""The synthetic wearer's physiology, sample by sample, for the virtual devices to send.

A virtual strap, H10, Muse or E4 built with a `WearerSignals` sends what the synthetic wearer's
body gives (beats, ECG, EEG, EDA, pulse, skin temperature), so `--simulate` shows real-looking
values; without one, the devices send sample counters that let tests find lost samples.
"""

from __future__ import annotations

import numpy as np

from emostream.synth.physiology import StreamRenderer, Timeline, make_timeline
from emostream.synth.protocol import Protocol

#: length of the rendered session; the wearer's protocol repeats over it
SESSION_S = 2 * 3600.0


class WearerSignals:
    """One synthetic wearer (seed, protocol): beat intervals and rendered signal samples."""

    def __init__(
        self, seed: int = 1, protocol: Protocol | None = None, session_s: float = SESSION_S
    ):
        base = protocol or Protocol()
        repeats = max(1, int(np.ceil(session_s / base.duration_s)))
        self.protocol = Protocol(base.phases * repeats)
        self.seed = seed
        self.timeline: Timeline = make_timeline(self.protocol, self.protocol.duration_s, seed)
        self.rr_s = np.diff(self.timeline.beat_t_s)
        self._renderers: dict[tuple[str, float], tuple[StreamRenderer, list[np.ndarray]]] = {}

    def rr_interval_s(self, beat: int) -> float:
        """Interval (s) ending at beat `beat + 1`; the session repeats after its last beat."""
        return float(self.rr_s[beat % self.rr_s.size])

    def samples(self, kind: str, rate_hz: float, first: int, n: int) -> np.ndarray:
        """Samples `first`..`first + n - 1` of the wearer's `kind` signal at `rate_hz`, shape
        (n, channels); rendered once, in order, so any request order gives the same values."""
        renderer, blocks = self._renderers.setdefault(
            (kind, rate_hz), (StreamRenderer(self.timeline, kind, rate_hz, self.seed), [])
        )
        while renderer.n_rendered < first + n:
            blocks.append(renderer.render(max(n, int(rate_hz * 10)))[1])
        rendered = np.concatenate(blocks) if len(blocks) > 1 else blocks[0]
        blocks[:] = [rendered]
        return rendered[first : first + n]
