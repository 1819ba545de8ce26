"""Finding an LSL stream's outlet again after it has gone, with one lookup at a time for all.

liblsl recovers a lost outlet by itself (`recover=True`): the inlet resolves its stream
again, wave after wave, until the outlet returns. Every wave is a query that every outlet on
the network receives and matches, so the cost grows as lost inlets × outlets: one wearer's
four streams lost beside the 300 outlets of a 100-wearer run cost 21-27 % of a core. So a
regular stream that has been silent past its limit is looked up here, with the other such
streams of its event loop, `LOOKUP_BATCH` streams per resolve, one resolve at a time (a
lookup also takes the streams due within `MERGE_WITHIN_S`, so that streams that fell silent
a moment apart share their resolves from then on):

- its outlet is still there (the same uid): it is only silent; it is looked up again after
  1, 2, 4 … up to `ALIVE_RECHECK_S` seconds;
- another outlet now has its source_id: the stream subscribes to it, unless its old inlet
  has received data meanwhile (liblsl's recovery reached the outlet first, and the new inlet
  would hand on again what the old one did);
- no outlet has its source_id: it is looked up again after `RETRY_S`. After
  `MISSES_BEFORE_LOST` such lookups in a row (one missed reply must not cost a silent stream
  its inlet), once the stream has been silent for `LOST_AFTER_S`, the inlet is destroyed,
  which ends liblsl's own recovery. Until then liblsl's recovery runs beside the lookups: it
  finds an outlet back from a short outage within about a second even where resolves are
  slow and miss outlets (`ResolveScope = machine`). The stream is then looked up every
  `RETRY_S` until its outlet returns.

Irregular streams (markers) and text are left to liblsl: their silence is normal, and a
marker must not fall into the moment without an inlet.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import pylsl
from pylsl.info import string2fmt

from emostream.core.clock import lsl_now_s

log = logging.getLogger(__name__)

#: the longest wait before a silent stream whose outlet is still there is looked up again
ALIVE_RECHECK_S = 10.0
#: a stream without an outlet is looked up this often
RETRY_S = 1.0
#: how long one resolve waits for the streams it looks for
RESOLVE_S = 0.25
#: streams looked up by one resolve: of 100 living outlets on one machine, one resolve for
#: all of them found 64-91; resolves for 10 at a time found every one
LOOKUP_BATCH = 8
#: lookups in a row that must find no outlet before the inlet is destroyed
MISSES_BEFORE_LOST = 2
#: silence before a stream's inlet may be destroyed: a short outage is left to liblsl
LOST_AFTER_S = 10.0
#: a lookup also takes the streams that would be due within this long, so that streams lost
#: a sweep apart share resolves instead of each keeping its own phase
MERGE_WITHIN_S = RETRY_S / 2

#: liblsl's name of each channel format, as its queries spell them
_FORMAT_NAMES = {code: name for name, code in string2fmt.items()}


def recovery_predicate(info: pylsl.StreamInfo) -> str:
    """The query liblsl's own recovery uses: the same source_id, name, type, channel count
    and format."""
    return (
        f"channel_count='{info.channel_count()}' and name='{info.name()}' and "
        f"type='{info.type()}' and source_id='{info.source_id()}' and "
        f"channel_format='{_FORMAT_NAMES[info.channel_format()]}'"
    )


@dataclass(slots=True)
class Recovery:
    """When one stream is due to be looked up, and how often it was found only silent."""

    predicate: str
    source_id: str
    #: seconds without data after which the stream is looked up (inf: never)
    silence_s: float
    #: when data last arrived, or reading began (inf: not yet reading)
    last_data_s: float = math.inf
    next_check_s: float = -math.inf
    found_silent: int = 0
    misses: int = 0

    def data_arrived(self, now_s: float) -> None:
        self.last_data_s = now_s
        self.next_check_s = -math.inf
        self.found_silent = self.misses = 0

    def due(self, now_s: float) -> bool:
        return now_s - self.last_data_s >= self.silence_s and now_s >= self.next_check_s


def due_now(recoveries: Sequence[Recovery], now_s: float) -> list[int]:
    """Indices of the streams to look up now: none unless one is due, and then every one
    due within `MERGE_WITHIN_S`."""
    if not any(r.due(now_s) for r in recoveries):
        return []
    return [k for k, r in enumerate(recoveries) if r.due(now_s + MERGE_WITHIN_S)]


class Resubscribable(Protocol):
    """What `look_up` works on: a stream's recovery state, its inlet's outlet uid (None
    without an inlet) and a way to replace its inlet."""

    recovery: Recovery
    name: str

    def outlet_uid(self) -> str | None: ...

    def replace_inlet(self, info: pylsl.StreamInfo | None) -> bool:
        """Subscribe to `info`'s outlet (None: drop the inlet); False if nothing was
        replaced (the old inlet turned out to be receiving, or the new one failed)."""
        ...


def look_up(streams: Sequence[Resubscribable]) -> None:
    """Look `streams` up, a batch per resolve, and act on what each found (module doc)."""
    for first in range(0, len(streams), LOOKUP_BATCH):
        batch = streams[first : first + LOOKUP_BATCH]
        predicate = " or ".join(f"({s.recovery.predicate})" for s in batch)
        try:
            found = pylsl.resolve_bypred(predicate, len(batch), RESOLVE_S)
        except Exception as exc:  # counts as nothing found, and is retried
            log.warning("looking up %d silent LSL streams failed: %s", len(batch), exc)
            found = []
        for stream in batch:
            _act(stream, [i for i in found if i.source_id() == stream.recovery.source_id])


def _act(stream: Resubscribable, infos: list[pylsl.StreamInfo]) -> None:
    rec, uid, now_s = stream.recovery, stream.outlet_uid(), lsl_now_s()
    if uid is not None and any(info.uid() == uid for info in infos):
        rec.next_check_s = now_s + min(ALIVE_RECHECK_S, 2.0**rec.found_silent)
        rec.found_silent, rec.misses = rec.found_silent + 1, 0
        return
    rec.next_check_s = now_s + RETRY_S
    others = [info for info in infos if info.uid() != uid]
    if len(others) == 1:
        if stream.replace_inlet(others[0]):
            log.info("%s: subscribed to its outlet again (on %s)", stream.name,
                     others[0].hostname())  # fmt: skip
        return
    if others and rec.misses == 0:
        log.warning("%s: %d outlets share its source_id; waiting until one is left",
                    stream.name, len(others))  # fmt: skip
    rec.misses += 1
    long_gone = now_s - rec.last_data_s >= LOST_AFTER_S
    if (
        uid is not None
        and long_gone
        and rec.misses >= MISSES_BEFORE_LOST
        and stream.replace_inlet(None)
    ):
        log.warning("%s: its outlet is gone; looking for it every %g s", stream.name, RETRY_S)
