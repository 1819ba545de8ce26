"""The headless-Chromium helper the page tests use: pages load, console errors are seen, and
it leaves nothing behind."""

import gc
import os
import tempfile

from emostream.testing.browser import console_errors


def test_console_errors_are_read_from_a_real_chromium(browser, artifacts_dir, tmp_path):
    page = tmp_path / "p.html"
    page.write_text(
        "<html><body><h1 id=h>hi</h1><script>console.error('boom')</script></body></html>"
    )
    browser.get(page.as_uri())
    assert browser.find_element("id", "h").text == "hi"
    errs = console_errors(browser)
    assert any("boom" in e["message"] for e in errs), errs
    browser.save_screenshot(str(artifacts_dir / "x.png"))
    assert (artifacts_dir / "x.png").stat().st_size > 0


def test_chromium_leaves_no_temporary_files_behind(start_browser, monkeypatch):
    # Chromium's profile and its profile lock's folder go to TMPDIR; the folder is short, as
    # the lock's socket path must be (pytest's tmp_path is too long)
    with tempfile.TemporaryDirectory(prefix="t") as folder:
        monkeypatch.setenv("TMPDIR", folder)
        monkeypatch.setattr(tempfile, "tempdir", None)  # read TMPDIR again
        driver = start_browser()
        driver.get("about:blank")
        assert os.listdir(folder), "Chromium wrote nothing to TMPDIR"
        driver.quit()
        del driver
        gc.collect()
        assert not os.listdir(folder)
