"""The console and the self-report page in a real headless Chromium, on a live session."""

import uuid

import pylsl
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

import emostream as es
from emostream.dashboard.server import DashboardServer
from emostream.dashboard.synthetic import ConsoleSession
from emostream.testing.browser import console_errors


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """One synthetic wearer at 15x (a pace a busy machine keeps), recorded, without phase
    markers: the model learns only from what the self-report page sends."""
    server = DashboardServer()
    session = ConsoleSession(
        server,
        speed=15.0,
        duration_s=3600.0,
        phase_markers=False,
        record_dir=tmp_path_factory.mktemp("rec"),
        lsl_prefix=f"t{uuid.uuid4().hex[:8]}",
    )
    server.start()
    session.start()
    yield server, session
    session.stop()
    server.stop()


def _wait(driver, condition, timeout_s=60.0):
    return WebDriverWait(driver, timeout_s, poll_frequency=0.1).until(lambda d: condition(d))


def test_console_shows_the_wearer_and_its_values_update(live, browser, artifacts_dir):
    server, _ = live
    browser.get(server.console_url())
    tile = _wait(browser, lambda d: d.find_elements(By.ID, "tile-0"), 5.0)[0]
    first = _wait(browser, lambda d: tile.find_element(By.CLASS_NAME, "t").text)
    _wait(browser, lambda d: tile.find_element(By.CLASS_NAME, "hr").text != "HR –")
    _wait(browser, lambda d: tile.find_element(By.CLASS_NAME, "t").text != first)
    _wait(browser, lambda d: d.find_elements(By.ID, "chart-feat-hr_bpm"))
    assert tile.find_element(By.CLASS_NAME, "flags").text  # "all streams ok", or the flags
    assert browser.title == "emostream console"
    browser.save_screenshot(str(artifacts_dir / "console.png"))
    assert console_errors(browser) == []


def test_a_self_report_reaches_the_model_the_recording_and_lsl(live, browser, artifacts_dir):
    server, session = live
    (wearer,) = session.wearers
    model = wearer.model
    browser.get(server.self_report_url(0))
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#states button"))
    ask = browser.find_element(By.ID, "ask")  # the model asked at its first window
    _wait(browser, lambda d: ask.is_displayed())
    assert "last 2 minutes" in ask.text
    # a report labels the 120 s before it: windows that lie inside must have closed
    _wait(browser, lambda d: model.counters.n_predicted > 14)
    outlet_name = f"{session.config.outputs.lsl_prefix}-Console-Markers"
    (outlet,) = pylsl.resolve_bypred(f"name='{outlet_name}'", 1, 30)
    answers = pylsl.StreamInlet(outlet)
    answers.open_stream(30)

    def click(css):
        browser.find_element(By.CSS_SELECTOR, css).click()

    click('#states button[data-value="unsure"]')
    assert not browser.find_element(By.CSS_SELECTOR, '#valence button[data-value="3"]').is_enabled()
    click("#send")
    _wait(browser, lambda d: "Thank you" in d.find_element(By.ID, "message").text)
    _wait(browser, lambda d: model.encoder.labels.counts.unsure == 1)
    assert model.counters.n_learned == 0  # "not sure" is never learned from
    assert not ask.is_displayed()  # answered

    click('#states button[data-value="stress"]')
    click('#valence button[data-value="3"]')
    click('#arousal button[data-value="7"]')
    browser.find_element(By.ID, "note").send_keys("the timer beeped")
    browser.save_screenshot(str(artifacts_dir / "self-report.png"))
    click("#send")
    _wait(browser, lambda d: "Thank you" in d.find_element(By.ID, "message").text)
    _wait(browser, lambda d: model.counters.n_learned > 0)
    assert console_errors(browser) == []

    published = []
    while len(published) < 3:
        sample, _ = answers.pull_sample(timeout=30)
        assert sample is not None
        published.append(sample[0])
    expected = ["report:120s:unsure", "report:120s:state=stress,arousal=7,valence=3"]
    assert published == [expected[0], expected[1], "note:the timer beeped"]

    session.stop()
    (path,) = [w.recorder.path for w in session.wearers]
    recording = es.read(path)
    (markers,) = [s for s in recording.streams.values() if s.spec.kind == "Markers"]
    assert [str(m) for m in markers.data[:, 0]] == [*expected, "note:the timer beeped"]
