"""The dashboard sink, fed directly: deltas carry each point once, flags name the stream."""

import asyncio

import numpy as np
import pylsl
import pytest

from emostream.core.chunk import Chunk
from emostream.core.spec import StreamSpec
from emostream.dashboard.answers import report_markers
from emostream.dashboard.inbox import InboxUnavailable, MarkerInbox
from emostream.dashboard.sink import EVENTS_KEPT, Cursor, DashboardSink
from emostream.features.base import FeatureVector
from emostream.labels import LabelConfig, LabelSpan, LabelTracker

ECG = StreamSpec("ECG", "e", ("ECG",), ("mV",), 250.0, "e")
EDA = StreamSpec("EDA", "d", ("EDA",), ("uS",), 4.0, "d")


def _sink() -> DashboardSink:
    return DashboardSink(0, classes=("calm", "stress"), inbox=MarkerInbox("m", "m"))


def test_deltas_carry_each_point_once_and_a_snapshot_stops_at_the_cursor():
    sink, cursor = _sink(), Cursor()
    t = np.arange(0, 4.0, 1 / 250)
    for lo in range(0, len(t), 25):
        sink.on_chunk(Chunk(ECG, t[lo : lo + 25], np.ones((len(t[lo : lo + 25]), 1), np.float32)))
        if lo == 500:
            first = sink.delta(cursor)["traces"]["raw:ECG"][0]
            held = sink.cursor()
    second = sink.delta(cursor)["traces"]["raw:ECG"][0]
    everything = sink.delta(Cursor())["traces"]["raw:ECG"][0]
    assert first + second == everything and first[-1] < second[0]
    assert 40 <= len(everything) <= 80  # 10 slots/s over 4 s, at most 2 points each
    snapshot = sink.delta(Cursor(), until=held)["traces"]["raw:ECG"][0]
    assert snapshot == first
    assert sink.delta(cursor)["traces"] == {}


def test_flags_name_missing_poor_and_low_coverage_streams():
    sink = _sink()
    fv = FeatureVector(
        0.0,
        60.0,
        {"hr_bpm": 70.0},
        quality={"ecg": 0.3, "eda": 0.9},
        coverage={"ecg": 1.0, "eda": 0.0, "rsp": 0.4},
    )
    sink.on_window(fv, {"state": "calm", "p_calm": 0.8, "p_stress": 0.2, "confidence": 0.8})
    latest = sink.delta(Cursor())["latest"]
    assert sorted(latest["flags"]) == ["ecg quality 0.30", "eda missing", "rsp coverage 40%"]
    assert latest["state"] == {"state": "calm", "confidence": 0.8}
    assert latest["features"] == {"hr_bpm": 70.0}


def test_an_answer_enters_the_pipeline_stamped_with_the_newest_data_time():
    inbox = MarkerInbox("console", "console-0")
    sink = DashboardSink(0, classes=("calm", "stress"), inbox=inbox)
    t = np.arange(1000.0, 1004.0, 1 / 250)
    newest = float(t[-1])

    async def scenario() -> list[tuple[float, str]]:
        events = inbox.events()
        first = asyncio.ensure_future(anext(events))
        await asyncio.sleep(0)  # the inbox now listens, as the running pipeline's source
        with pytest.raises(InboxUnavailable, match="no data yet"):
            sink.submit(["report:120s:state=stress"])
        sink.on_chunk(Chunk(ECG, t, np.ones((len(t), 1), np.float32)))
        sink.on_marker(1003.0, "label-request:120s:confidence=0.41")
        assert sink.open_request()[0]["span_s"] == 120.0
        answer = report_markers({"state": "stress"}, sink.classes, sink.report_span_s)
        # the web server's thread hands it over
        stamped = await asyncio.to_thread(sink.submit, answer, answers_request=True)
        assert stamped == newest
        chunk = await asyncio.wait_for(first, 5.0)
        await events.aclose()
        return chunk.markers()

    markers = asyncio.run(scenario())
    assert markers == [(newest, "report:120s:state=stress")]
    assert sink.open_request() == (None, False)  # the request is answered
    tracker = LabelTracker(LabelConfig(classes=("calm", "stress")))
    assert tracker.feed(markers) == [LabelSpan(newest - 120.0, newest, "stress", "report")]


def test_a_published_inbox_pushes_each_marker_to_its_lsl_outlet(unique_name):
    inbox = MarkerInbox(f"{unique_name}-M", f"{unique_name}-m", publish=True)

    def subscribe() -> pylsl.StreamInlet:
        found = pylsl.resolve_byprop("source_id", f"{unique_name}-m", 1, 10.0)
        assert found, "the inbox published no Markers outlet"
        inlet = pylsl.StreamInlet(found[0], processing_flags=0)
        inlet.open_stream(10.0)
        return inlet

    async def scenario() -> tuple[pylsl.StreamInlet, list[tuple[float, str]]]:
        events = inbox.events()
        first = asyncio.ensure_future(anext(events))
        await asyncio.sleep(0)  # the inbox listens and has opened its outlet
        inlet = await asyncio.to_thread(subscribe)
        t_s = pylsl.local_clock()
        await asyncio.to_thread(inbox.put_threadsafe, t_s, "report:60s:state=calm")
        chunk = await asyncio.wait_for(first, 5.0)
        await events.aclose()
        return inlet, chunk.markers()

    inlet, markers = asyncio.run(scenario())
    try:
        sample, stamp = inlet.pull_sample(timeout=10.0)
        assert sample == ["report:60s:state=calm"] and [(stamp, sample[0])] == markers
        assert inbox.n_markers == 1
    finally:
        asyncio.run(inbox.aclose())
        inlet.close_stream()


def test_a_late_reader_gets_the_last_events_held_then_only_new_ones():
    sink = _sink()
    for k in range(EVENTS_KEPT + 100):
        sink.on_marker(float(k), f"drift:adwin:error={k}")
    cursor = Cursor()
    events = sink.delta(cursor)["events"]
    assert [e["t_s"] for e in events] == [float(k) for k in range(100, EVENTS_KEPT + 100)]
    sink.on_marker(1e4, "drift:adwin:error=1")
    assert [e["t_s"] for e in sink.delta(cursor)["events"]] == [1e4]  # only the new one


def test_an_older_chunk_of_a_slower_stream_keeps_the_newest_data_time():
    """Streams arrive interleaved: an EDA chunk ending before the last ECG sample does not
    move the time that answers are stamped with back."""
    sink = _sink()
    ecg_t, eda_t = np.arange(1000.0, 1004.0, 1 / 250), np.arange(1000.0, 1003.5, 1 / 4)
    sink.on_chunk(Chunk(ECG, ecg_t, np.ones((len(ecg_t), 1), np.float32)))
    sink.on_chunk(Chunk(EDA, eda_t, np.ones((len(eda_t), 1), np.float32)))
    assert sink.delta(Cursor())["latest"]["t_s"] == float(ecg_t[-1])
