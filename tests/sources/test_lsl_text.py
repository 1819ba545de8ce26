"""A `Text` stream over real LSL on loopback: utterances with their speaker, in order."""

import asyncio
import math
from dataclasses import replace

from emostream.core.chunk import Chunk
from emostream.core.clock import lsl_now_s
from emostream.core.events import Gap
from emostream.core.spec import text_spec
from emostream.sinks.lsl import StreamOutlets
from emostream.sources.lsl import LslQuery, LslSource, silence_limit_s

UTTERANCES = [
    ("Hello, how are you today?", "interviewer"),
    ("I'm fine, thanks 😊", "participant"),
    ("Ça va — très bien.", "participant"),
]


def test_utterances_and_speakers_arrive_as_sent(unique_name):
    spec = text_spec(unique_name, f"{unique_name}:text", speaker=True)

    async def scenario() -> tuple[list[Chunk], list[Gap]]:
        outlets = StreamOutlets([spec])
        source = LslSource(LslQuery(source_id=spec.source_id), resolve_timeout_s=5.0)
        chunks: list[Chunk] = []
        gaps: list[Gap] = []

        async def consume() -> None:
            async for event in source.events():
                if isinstance(event, Gap):
                    gaps.append(event)
                if isinstance(event, Chunk):
                    chunks.append(event)
                    if sum(len(c) for c in chunks) == len(UTTERANCES):
                        return

        async def produce() -> None:
            while not outlets.have_consumers():
                await asyncio.sleep(0.02)
            t0 = lsl_now_s()
            ts = [t0 + i for i in range(len(UTTERANCES))]
            outlets.push(Chunk.from_arrays(spec, ts, [list(u) for u in UTTERANCES]))

        producer = asyncio.create_task(produce())
        try:
            await asyncio.wait_for(consume(), timeout=20.0)
        finally:
            producer.cancel()
            await source.aclose()
        return chunks, gaps

    chunks, gaps = asyncio.run(scenario())
    assert gaps == []
    rows = [tuple(row) for chunk in chunks for row in chunk.data.tolist()]
    assert rows == UTTERANCES
    assert all(
        chunk.spec.is_text and chunk.spec.channels == ("text", "speaker") for chunk in chunks
    )


def test_a_silent_text_stream_is_no_outage():
    text = text_spec("t", "t:text")
    markers = replace(text, kind="Markers")
    assert silence_limit_s(text) == math.inf
    assert silence_limit_s(markers) == 20.0
    assert silence_limit_s(replace(markers, channel_format="float32", rate_hz=250.0)) == 1.0
