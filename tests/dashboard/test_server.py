"""The web server: bounded client queues, slow clients dropped, writes need the token."""

import asyncio
import json
import threading
import urllib.error
import urllib.request

import pytest
from websockets.sync.client import connect

from emostream.dashboard.broadcast import DROPPED, Broadcaster
from emostream.dashboard.server import DashboardServer
from emostream.dashboard.synthetic import ConsoleSession
from emostream.features.base import FeatureVector


def test_a_full_client_is_dropped_and_the_others_keep_receiving():
    async def scenario() -> None:
        hub = Broadcaster(max_queued=3)
        stuck, reader = hub.join("snapshot"), hub.join()
        for k in range(3):
            hub.publish(f"m{k}")
            assert await reader.get() == f"m{k}"
        assert len(hub) == 1 and hub.n_dropped == 1  # the stuck one had 3 queued at m2
        assert stuck.get_nowait() is DROPPED and stuck.empty()  # backlog freed, sender woken
        hub.publish("m3")
        assert await reader.get() == "m3"

    asyncio.run(scenario())


def test_each_console_wearer_is_a_person_of_their_own():
    """Wearers differ (their own seed), so their streams never share a source_id."""
    session = ConsoleSession(DashboardServer(), n_wearers=3, speed=None, duration_s=60.0)
    ids = [spec.source_id for w in session.wearers for spec in w.source.specs]
    assert len(ids) > 3 and len(set(ids)) == len(ids)


def _post(url: str, body: object, token: str | None) -> tuple[int, dict]:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, json.dumps(body).encode(), headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.fixture(scope="module")
def finished_session():
    """A session at full speed, with one real WebSocket reader and one client that never
    reads (its queue is never drained, as when a tab hangs)."""
    server = DashboardServer(max_queued=2)
    session = ConsoleSession(server, speed=None, duration_s=150.0)
    server.start()
    stuck_joined = threading.Event()
    server._loop.call_soon_threadsafe(lambda: (server.broadcaster.join(), stuck_joined.set()))
    assert stuck_joined.wait(5)
    messages = []
    with connect(f"ws://127.0.0.1:{server.port}/ws") as ws:
        session.start()
        assert session.join(120), "the pipeline stalled"
        while not any(m["wearers"][0]["latest"]["ended"] for m in messages):
            messages.append(json.loads(ws.recv(timeout=10)))
    yield server, session, messages
    server.stop()


def test_a_stuck_client_is_dropped_and_the_pipeline_runs_to_the_end(finished_session):
    server, session, messages = finished_session
    assert session.error is None
    (result,) = session.results
    assert result.pipeline.counters.n_windows >= 15  # 150 s of data, 60 s windows, 5 s hop
    assert server.broadcaster.n_dropped == 1
    assert messages[0]["type"] == "snapshot"
    assert {m["type"] for m in messages[1:]} == {"delta"}
    # the reader saw every window's prediction exactly once, in order
    seen = [t for m in messages for t in m["wearers"][0]["traces"].get("confidence", [[]])[0]]
    assert seen == sorted(set(seen)) and len(seen) == result.pipeline.counters.n_windows


def test_writes_need_the_token_and_a_running_session(finished_session):
    server, _, _ = finished_session
    url = f"{server.url}api/wearers/0/reports"
    status, body = _post(url, {"state": "calm"}, None)
    assert status == 403 and "token" in body["error"]
    assert _post(url, {"state": "calm"}, "not-the-token")[0] == 403
    status, body = _post(url, {"state": "angry"}, server.token)
    assert status == 400 and "angry" in body["error"]
    for slot in (1, 5):  # the session has one wearer, slot 0
        status, body = _post(url.replace("/0/", f"/{slot}/"), {"state": "calm"}, server.token)
        assert status == 404 and body["error"] == "no such wearer"
    status, body = _post(url, {"state": "calm"}, server.token)
    assert status == 503 and "ended" in body["error"]


def test_the_port_in_use_is_a_usage_error(finished_session):
    from emostream.errors import UsageError

    server, _, _ = finished_session
    with pytest.raises(UsageError, match=f"127.0.0.1:{server.port}"):
        DashboardServer(port=server.port).start()


def test_the_console_names_each_wearer_by_slot_never_by_subject():
    """The console's Markers outlet (LSL metadata the local network reads) and the pages name
    a wearer by its slot, never by the subject's pseudonym."""
    server = DashboardServer()
    sinks = [server.sink_for(subject) for subject in ("S-private-1", "S-private-2")]
    for slot, sink in enumerate(sinks):
        assert "S-private" not in repr(sink.inbox.spec)
        assert sink.inbox.spec.source_id.endswith(f":console:{slot}")
        assert sink.describe()["slot"] == slot


def test_an_absent_value_reaches_the_pages_as_null():
    """JSON has no NaN: an absent feature is null on the page, and the push goes out."""
    server = DashboardServer()
    sink = server.sink_for("S01")
    sink.on_window(FeatureVector(0.0, 60.0, {"hr_bpm": 70.0, "eda_scl_us": float("nan")}), None)
    server.start()
    try:
        with connect(f"ws://127.0.0.1:{server.port}/ws") as ws:
            (wearer,) = json.loads(ws.recv(timeout=10))["wearers"]
    finally:
        server.stop()
    assert wearer["latest"]["features"] == {"hr_bpm": 70.0, "eda_scl_us": None}
