"""Three outlets vanish and come back; a fourth stays but is silent as long.

The three come back 1 s after the run has dropped all their inlets (or after `AWAY_S`), and
are pushed to until every source has read 100 samples more (or for `BACK_S`).

Run by `test_lsl_source.py` in its own process, with an LSL configuration of its own (see
there). Prints one JSON line: what the sources saw and every lookup's resolve.
"""

from __future__ import annotations

import asyncio
import gc
import json
import math
import sys

import numpy as np

from emostream.core.chunk import Chunk
from emostream.core.clock import lsl_now_s
from emostream.core.events import Gap
from emostream.core.spec import StreamSpec
from emostream.sinks.lsl import StreamOutlets
from emostream.sources import lsl_recovery
from emostream.sources.lsl import LslQuery, LslSource

RATE_HZ = 100.0
AWAY_S = 25.0
BACK_S = 20.0


def main(name: str) -> None:
    specs = [
        StreamSpec("ECG", f"{name}-{i}", ("ECG", "counter"), ("mV", "count"), RATE_HZ,
                   f"{name}-{i}:ecg")
        for i in range(4)
    ]  # fmt: skip
    lost = specs[:3]
    lookups: list[tuple[float, float, str]] = []  # (start, end, predicate)
    resolve = lsl_recovery.pylsl.resolve_bypred

    def spied(predicate: str, minimum: int, timeout: float):
        start = lsl_now_s()
        try:
            return resolve(predicate, minimum, timeout)
        finally:
            lookups.append((start, lsl_now_s(), predicate))

    lsl_recovery.pylsl.resolve_bypred = spied

    async def scenario() -> dict:
        outlets = {s.source_id: StreamOutlets([s]) for s in specs}
        sources = [LslSource(LslQuery(source_id=s.source_id), gap_after_s=0.3) for s in specs]
        silent_inlet = sources[3]._reader.inlet
        counters: list[list[int]] = [[] for _ in specs]
        gaps = [0] * len(specs)
        dropped = [False] * len(specs)

        async def consume(k: int) -> None:
            async for event in sources[k].events():
                if isinstance(event, Gap):
                    gaps[k] += 1
                elif isinstance(event, Chunk):
                    counters[k].extend(event.data[:, 1].astype(int).tolist())

        pushed_at = [math.nan]  # when the last chunk was pushed

        async def push(which: list[StreamSpec], seconds: float, start: int) -> int:
            count = start
            for _ in range(int(seconds / 0.05)):
                ts = lsl_now_s() - np.arange(5)[::-1] / RATE_HZ
                data = np.column_stack((np.zeros(5), np.arange(count, count + 5)))
                for spec in which:
                    outlets[spec.source_id].push(Chunk(spec, ts, data.astype(np.float32)))
                pushed_at[0] = lsl_now_s()
                count += 5
                await asyncio.sleep(0.05)
            return count

        tasks = [asyncio.create_task(consume(k)) for k in range(len(specs))]
        count = await push(specs, 1.0, 0)
        # a stream's silence starts with the last data its reader took, no sooner than this
        last_pushed_at = pushed_at[0]
        for spec in lost:
            outlets.pop(spec.source_id).close()
        gc.collect()
        away_from = lsl_now_s()
        all_dropped_at = first_dropped_at = None
        while lsl_now_s() - away_from < AWAY_S:  # the silent one pushes nothing either
            await asyncio.sleep(0.1)
            dropped = [d or s._reader.inlet is None for d, s in zip(dropped, sources, strict=True)]
            if first_dropped_at is None and any(dropped):
                first_dropped_at = lsl_now_s()
            if all_dropped_at is None and all(dropped[:3]):
                all_dropped_at = lsl_now_s()
            if all_dropped_at is not None and lsl_now_s() - all_dropped_at > 1.0:
                break
        back_at = lsl_now_s()
        outlets.update({s.source_id: StreamOutlets([s]) for s in lost})
        wanted = count + 100
        while lsl_now_s() - back_at < BACK_S and min(c[-1] if c else -1 for c in counters) < wanted:
            count = await push(specs, 0.5, count)
        for source in sources:
            await source.aclose()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for out in outlets.values():
            out.close()
        return {
            "dropped": dropped,
            "silent_kept_its_inlet": sources[3]._reader.inlet is silent_inlet,
            "generations": [s._reader.generation for s in sources],
            "counters_increase": [bool(np.all(np.diff(c) > 0)) for c in counters],
            "last_counter": [c[-1] if c else -1 for c in counters],
            "gaps": gaps,
            "away_from": away_from,
            "last_pushed_at": last_pushed_at,
            "first_dropped_at": first_dropped_at,
            "back_at": back_at,
            "lookups": lookups,
        }

    print(json.dumps(asyncio.run(scenario())), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
