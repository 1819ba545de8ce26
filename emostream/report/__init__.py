"""Session reports: one self-contained HTML file with figures, per recorded or processed session.

`session` loads a session folder into a `ReportData`, `timeline` reads its markers (phases,
label requests, answers, drift), `quality` sums up each stream, `decimate` shrinks signals for
display, `confusion` counts predicted states against labels, `figures` draws (data in,
matplotlib Figure out), `html` assembles the page, `build` ties them together and
`evaluation` reports the held-out subjects of an evaluation.
"""
