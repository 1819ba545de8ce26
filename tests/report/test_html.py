"""The report page's building blocks: text from a session is shown as text, never as markup."""

from __future__ import annotations

from emostream.report.html import Link, Section, key_values, page, table

NASTY = '<script>alert("x")</script> & <b>'


def test_cells_titles_and_links_are_escaped():
    cells = table(["marker", "n"], [[NASTY, 3], [Link(NASTY, 'a"b.html'), None]])
    meta = key_values({NASTY: NASTY})
    html = page(NASTY, [Section("s", NASTY, NASTY, parts=[cells, meta])], {})
    assert "<script" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;" in cells
    assert 'href="a&quot;b.html"' in cells
    assert '<td class="n">3</td>' in cells and "<td></td>" in cells
