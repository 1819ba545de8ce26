"""E4 streaming-server lines as a live connection delivers them, with faults: every
well-formed data line becomes a sample or is counted as dropped, and each stream's stamps stay
finite and strictly increasing."""

from __future__ import annotations

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from emostream.profiles import load_profile
from emostream.sources.e4_tcp import E4StreamingClient
from tests.sources.stamped_chunks import StampedChunks

#: the server's stream name, the emostream kind it becomes, and the rate (0: irregular)
STREAMS = {"E4_Gsr": ("EDA", 4.0), "E4_Bvp": ("PPG", 64.0), "E4_Ibi": ("RR", 0.0)}
NAMES = {kind: name for name, (kind, _) in STREAMS.items()}

#: one read: (stream, samples, error of one sample's timestamp in s, garbled line or not)
READS = st.lists(
    st.tuples(
        st.sampled_from(sorted(STREAMS)),
        st.integers(1, 20),
        st.one_of(st.just(0.0), st.floats(-1e4, 1e4), st.just(float("nan"))),
        st.booleans(),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(READS, st.floats(1e6, 2e9))
@example([("E4_Ibi", 3, -0.95, False)], 1e6)  # a beat 0.05 s before the one before: no jump
def test_e4_reads_with_bad_lines_lose_nothing_uncounted(
    reads: list[tuple[str, int, float, bool]], start_unix_s: float
) -> None:
    client = E4StreamingClient(load_profile("empatica-e4"), "9ff167")
    clock_s = dict.fromkeys(STREAMS, start_unix_s)
    n_sent = dict.fromkeys(STREAMS, 0)
    received = StampedChunks()
    arrival_s, n_rejected = 0.0, 0
    for name, n, error_s, garbled in reads:
        kind, rate_hz = STREAMS[name]
        step_s = 1.0 / rate_hz if rate_hz else 0.9
        lines = []
        for k in range(n):
            clock_s[name] += step_s
            stamp_s = clock_s[name] + (error_s if k == n // 2 else 0.0)
            lines.append(f"{name} {stamp_s:.6f} {k}.5".encode())
        if garbled:
            lines[-1] = lines[-1][:7] + b"\xff garbage"
        n_bad = garbled + (np.isnan(error_s) and not (garbled and n // 2 == n - 1))
        n_sent[name] += n - n_bad  # a non-finite time makes its line malformed, and counted
        n_rejected += n_bad
        arrival_s = max(arrival_s, clock_s[name] - start_unix_s) + 0.02
        for chunk in client._decode(lines, arrival_s, start_unix_s):
            received.add(NAMES[chunk.spec.kind], chunk)
    stats = client.timestamp_stats()
    source_ids = {spec.kind: spec.source_id for spec in client.specs}
    for name, (kind, _) in STREAMS.items():
        assert received.n_received[name] + stats[source_ids[kind]].n_dropped == n_sent[name], name
    assert client.stats.rejected == n_rejected
