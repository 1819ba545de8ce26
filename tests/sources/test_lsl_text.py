"""A `Text` stream over real LSL on loopback: utterances with their speaker, in order."""

import asyncio

from emostream.core.chunk import Chunk
from emostream.core.clock import lsl_now_s
from emostream.core.spec import text_spec
from emostream.sinks.lsl import StreamOutlets
from emostream.sources.lsl import LslQuery, LslSource

UTTERANCES = [
    ("Hello, how are you today?", "interviewer"),
    ("I'm fine, thanks 😊", "participant"),
    ("Ça va — très bien.", "participant"),
]


def test_utterances_and_speakers_arrive_as_sent(unique_name):
    spec = text_spec(unique_name, f"{unique_name}:text", speaker=True)

    async def scenario() -> list[Chunk]:
        outlets = StreamOutlets([spec])
        source = LslSource(LslQuery(source_id=spec.source_id), resolve_timeout_s=5.0)
        chunks: list[Chunk] = []

        async def consume() -> None:
            async for event in source.events():
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
        return chunks

    chunks = asyncio.run(scenario())
    rows = [tuple(row) for chunk in chunks for row in chunk.data.tolist()]
    assert rows == UTTERANCES
    assert all(
        chunk.spec.is_text and chunk.spec.channels == ("text", "speaker") for chunk in chunks
    )
