"""The report opened from disk in a real headless Chromium: every figure renders, offline."""

from __future__ import annotations

import re

from emostream.testing.browser import console_errors


def test_the_report_renders_every_figure_offline(report, browser, artifacts_dir):
    out, _, page = report
    assert not re.search(r"https?://", page)  # nothing to fetch: no request leaves the file
    assert "<script" not in page
    console_errors(browser)  # drain what earlier tests left
    browser.get(out.as_uri())
    images = browser.execute_script(
        "return [...document.images].map(i => [i.alt, i.complete, i.naturalWidth, "
        "i.getBoundingClientRect().width]);"
    )
    assert [alt for alt, *_ in images] == ["signals", "features", "states", "confusion", "coverage"]
    for alt, complete, natural_px, shown_px in images:
        assert complete and natural_px > 0 and shown_px > 0, alt
    resources = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name);"
    )
    assert [r for r in resources if not r.startswith(("data:", "file:"))] == []
    assert console_errors(browser) == []
    browser.execute_script("document.getElementById('states').scrollIntoView();")
    browser.save_screenshot(str(artifacts_dir / "report.png"))
    assert (artifacts_dir / "report.png").stat().st_size > 0
