"""The headless-Chromium helper the page tests use: pages load, console errors are seen."""

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
