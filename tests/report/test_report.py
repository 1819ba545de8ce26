"""`emostream report` on a recorded demo session and on `process` output; the report in a real
headless Chromium. One module, so that one test worker records the shared session."""

from __future__ import annotations

import base64
import json
import re
import shutil
from collections import Counter

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, balanced_accuracy_score

from emostream.cli import main
from emostream.report.build import build
from emostream.report.session import load, session_folders
from emostream.testing.browser import console_errors

IMG_RE = re.compile(r'<img alt="([^"]+)" src="data:image/png;base64,([^"]+)">')


def _table(page: str, css_class: str | None = None) -> list[list[str]]:
    """Rows of cell texts of the first `<table class=css_class>` (or plain `<table>`)."""
    tag = f'<table class="{css_class}">' if css_class else "<table>"
    body = page.split(tag, 1)[1].split("</table>", 1)[0]
    return [
        re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row) for row in re.findall(r"<tr>(.*?)</tr>", body)
    ]


def _section(page: str, section_id: str) -> str:
    return page.split(f'<section id="{section_id}">', 1)[1].split("</section>", 1)[0]


def test_the_confusion_matrix_counts_the_labelled_predictions(recorded, report):
    predictions = pd.read_parquet(recorded / "predictions.parquet")
    labelled = predictions[predictions["label"].notna()]
    expected = Counter(zip(labelled["label"], labelled["state"], strict=True))
    assert len({label for label, _ in expected}) == 2  # calm and stress both labelled
    rows = _table(report[2], "confusion")
    columns = rows[0][1:]
    shown = {
        (row[0], column): int(n)
        for row in rows[1:]
        for column, n in zip(columns, row[1:], strict=True)
    }
    assert {k: v for k, v in shown.items() if v} == dict(expected)
    assert sum(shown.values()) == len(labelled)


def _scores(page: str) -> list[float]:
    """The cells of the row below the "labelled windows, accuracy, balanced accuracy" head."""
    rows = [
        re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row) for row in re.findall(r"<tr>(.*?)</tr>", page)
    ]
    return [
        float(x)
        for x in rows[rows.index(["labelled windows", "accuracy", "balanced accuracy"]) + 1]
    ]


def test_the_scores_beside_the_matrix_are_scikit_learns(recorded):
    """Plain and balanced accuracy of predictions right on most calm windows and on a third of
    the stress ones, so that the two scores differ."""
    data = load(recorded)
    predictions = data.predictions.copy()
    labelled = predictions["label"].notna().to_numpy()
    truth = predictions.loc[labelled, "label"].astype(str).to_numpy()
    state = truth.copy()
    stress = np.flatnonzero(truth == "stress")
    state[stress[len(stress) // 3 :]] = "calm"
    state[np.flatnonzero(truth == "calm")[:2]] = "stress"
    predictions.loc[labelled, "state"] = state
    data.predictions = predictions
    report = build(data)
    expected = [len(truth), accuracy_score(truth, state), balanced_accuracy_score(truth, state)]
    assert abs(expected[1] - expected[2]) > 0.05  # the two scores tell each other apart
    assert _scores(report.page()) == [expected[0], *(round(x, 3) for x in expected[1:])]
    assert report.summary["balanced accuracy"] == round(expected[2], 3)


def test_png_writes_each_embedded_figure(report):
    _, png, page = report
    embedded = dict(IMG_RE.findall(page))
    assert set(embedded) == {"signals", "features", "states", "confusion", "coverage"}
    assert {p.name for p in png.iterdir()} == {f"{name}.png" for name in embedded}
    for name, data in embedded.items():
        written = (png / f"{name}.png").read_bytes()
        assert written.startswith(b"\x89PNG\r\n\x1a\n")
        assert written == base64.b64decode(data)


def test_sections_hold_quality_metadata_and_label_requests(recorded, report):
    page = report[2]
    session = json.loads((recorded / "session.json").read_text())
    meta = _section(page, "session")
    assert session["run"]["config_hash"] in meta and "synthetic" in meta
    assert f"emostream {session['software']['emostream']}" in meta
    quality = _table(_section(page, "quality"), "streams")
    assert [row[0] for row in quality[1:]] == ["ecg", "ppg", "eda", "rsp", "temp", "eeg"]
    events = pd.read_parquet(recorded / "events.parquet")
    requests = events[events["text"].str.startswith("label-request")]
    assert len(requests) > 0
    labels = _section(page, "labels")
    assert all(text in labels for text in requests["text"])
    assert f"0 of {len(requests)} requests answered" in labels


def test_the_session_section_states_the_consent_given(recorded, tmp_path):
    """A demo records no live person; a live person's session shows the consent they gave."""
    assert load(recorded).meta["consent"] == "not needed (no live person recorded)"
    live = tmp_path / recorded.name
    shutil.copytree(recorded, live)
    session = json.loads((live / "session.json").read_text())
    session |= {"live": True, "consent": {"scope": ["record"], "stated_via": "--consent flag"}}
    (live / "session.json").write_text(json.dumps(session))
    assert load(live).meta["consent"] == "record (stated via --consent flag)"


def test_a_folder_of_sessions_is_found_in_name_order(tmp_path, folders_out_of_name_order):
    names = [f"sub-S{n:02d}_ses-{s}" for n in (7, 2, 11, 4, 9, 1, 12) for s in (2, 1)]
    folders_out_of_name_order(tmp_path, names)
    for name in names:
        (tmp_path / name / "session.json").write_text("{}")
    (tmp_path / "notes").mkdir()
    assert session_folders(tmp_path) == [tmp_path / name for name in sorted(names)]


def test_a_folder_of_sessions_gets_a_report_each_and_an_index(sessions, reports, capsys):
    assert main(["report", str(sessions), "--out", str(reports / "x.html")]) == 2
    assert "--out" in capsys.readouterr().err
    names = sorted(p.name for p in sessions.iterdir())
    written = sorted(p.name for p in (reports / "html").iterdir())
    assert written == sorted([*(f"{n}.html" for n in names), "index.html"])
    index = (reports / "html" / "index.html").read_text()
    assert all(f'href="{n}.html"' in index for n in names)
    # a row per session: its windows, labelled windows and balanced accuracy, under their heads
    head, *rows = _table(index)
    assert head == ["session", "windows", "labelled windows", "balanced accuracy"]
    by_name = {re.sub(r"<[^>]+>", "", row[0]): row[1:] for row in rows}
    assert sorted(by_name) == names
    summary = build(load(sessions / names[-1])).summary
    assert by_name[names[-1]] == [
        str(summary["windows"]),
        str(summary["labelled windows"]),
        f"{summary['balanced accuracy']:.3g}",
    ]
    # `process` output of a pipeline without a model: the report says what is absent
    page = (reports / "html" / "processed.html").read_text()
    states = _section(page, "states")
    assert "no model" in states and "<img" not in states
    # the raw signals come from the processed input, which is still where it was
    assert set(dict(IMG_RE.findall(page))) == {"signals", "features", "coverage"}
    assert sorted(p.name for p in (reports / "png" / "processed").iterdir()) == [
        "coverage.png",
        "features.png",
        "signals.png",
    ]


def test_bad_paths_name_the_path_and_exit_2_or_1(recorded, tmp_path, capsys):
    missing = tmp_path / "nothing-here"
    assert main(["report", str(missing), "--out", str(tmp_path / "r.html")]) == 2
    err = capsys.readouterr().err
    assert str(missing) in err and "Traceback" not in err
    (tmp_path / "empty").mkdir()
    assert main(["report", str(tmp_path / "empty"), "--out", str(tmp_path / "r.html")]) == 2
    assert "no session.json" in capsys.readouterr().err
    broken = tmp_path / "broken"
    shutil.copytree(recorded, broken)
    (broken / "session.json").write_text("{not json")
    assert main(["report", str(broken), "--out", str(tmp_path / "r.html")]) == 1
    assert str(broken / "session.json") in capsys.readouterr().err
    (broken / "session.json").write_bytes((recorded / "session.json").read_bytes())
    features = broken / "features.parquet"
    features.write_bytes(features.read_bytes()[:200])
    assert main(["report", str(broken), "--out", str(tmp_path / "r.html")]) == 1
    assert str(features) in capsys.readouterr().err
    assert not (tmp_path / "r.html").exists()


def test_one_session_into_an_existing_folder_asks_for_the_file_name(recorded, tmp_path, capsys):
    folder = tmp_path / "reports"
    folder.mkdir()
    assert main(["report", str(recorded), "--out", str(folder)]) == 2
    err = capsys.readouterr().err
    assert f"--out {folder}: a folder; name the report file" in err and "Traceback" not in err
    assert list(folder.iterdir()) == []


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
