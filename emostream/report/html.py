"""The report page: one self-contained HTML file (figures inlined as base64 PNG, no scripts,
no external files), so it opens offline and can be mailed or archived as it is."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html import escape

_STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5em auto;max-width:1150px;color:#222;padding:0 1em}
h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;font-size:.85em;margin:.6em 0}
td,th{border:1px solid #ddd;padding:.2em .5em;text-align:left;vertical-align:top}
th{background:#f4f4f4}td.n{text-align:right;font-variant-numeric:tabular-nums}
img{max-width:100%;height:auto;display:block;margin:.6em 0}
p.absent{color:#8a5a00;background:#fff6e0;padding:.4em .6em;border-left:3px solid #e0a000}
p.note{color:#555;font-size:.9em}nav a{margin-right:1em}
"""


@dataclass(frozen=True, slots=True)
class Link:
    """A table cell that links to another file (a report from an index page)."""

    text: str
    href: str


@dataclass(slots=True)
class Section:
    id: str
    title: str
    #: how to read the section, one or two sentences
    intro: str
    #: names of the figures shown, in order (keys of the report's PNGs)
    figures: list[str] = field(default_factory=list)
    #: HTML fragments (tables) shown after the figures, already escaped
    parts: list[str] = field(default_factory=list)
    #: why the section shows nothing (or only part of what it could)
    absent: list[str] = field(default_factory=list)


def table(header: Sequence[str], rows: Sequence[Sequence[object]], *, css_class: str = "") -> str:
    """An HTML table; numbers are right-aligned, None shows as an empty cell."""

    def cell(value: object) -> str:
        if value is None:
            return "<td></td>"
        if isinstance(value, Link):
            return f'<td><a href="{escape(value.href)}">{escape(value.text)}</a></td>'
        if isinstance(value, int | float):
            text = f"{value:.3g}" if isinstance(value, float) else str(value)
            return f'<td class="n">{escape(text)}</td>'
        return f"<td>{escape(str(value))}</td>"

    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(cell(v) for v in row) + "</tr>" for row in rows)
    attr = f' class="{escape(css_class)}"' if css_class else ""
    return f"<table{attr}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def key_values(items: Mapping[str, str]) -> str:
    rows = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in items.items())
    return f'<table class="meta"><tbody>{rows}</tbody></table>'


def page(title: str, sections: Sequence[Section], pngs: Mapping[str, bytes]) -> str:
    nav = "".join(f'<a href="#{escape(s.id)}">{escape(s.title)}</a>' for s in sections)
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{escape(title)}</h1><nav>{nav}</nav>",
    ]
    for s in sections:
        out.append(f'<section id="{escape(s.id)}"><h2>{escape(s.title)}</h2>')
        out.append(f'<p class="note">{escape(s.intro)}</p>')
        out += [f'<p class="absent">{escape(reason)}</p>' for reason in s.absent]
        for name in s.figures:
            data = base64.b64encode(pngs[name]).decode("ascii")
            out.append(f'<img alt="{escape(name)}" src="data:image/png;base64,{data}">')
        out += s.parts
        out.append("</section>")
    out.append("</body></html>")
    return "\n".join(out)
