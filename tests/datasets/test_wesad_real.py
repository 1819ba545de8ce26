"""WESAD on the real files (../shared/data/wesad): labels on the raw E4 clock, reports, sets."""

from __future__ import annotations

import csv
import zipfile

import pytest

from emostream.datasets import wesad
from emostream.datasets.registry import prepare

from .test_wesad import PIPELINE

CODES = {"1": "baseline", "2": "stress", "3": "amusement", "4": "meditation"}


@pytest.fixture
def root(shared_data):
    return shared_data / "wesad"


def _runs(root, subject):
    with (root / "labels_e4_unix.csv").open(newline="") as fh:
        return [row for row in csv.DictReader(fh) if row["subject"] == subject]


def _e4_start_unix(root, subject):
    """The earliest start time in the export's headers (row 0 of each sampled file)."""
    with zipfile.ZipFile(root / subject / f"{subject}_E4_Data.zip") as zf:
        return min(
            float(zf.read(f"{stem}.csv").decode().splitlines()[0].split(",")[0])
            for stem in ("ACC", "BVP", "EDA", "TEMP")
        )


@pytest.mark.parametrize("subject", ["S2", "S14"])
def test_label_runs_land_on_the_e4_clock(root, subject):
    item = wesad.open_dataset(root).load(subject)
    t0 = _e4_start_unix(root, subject)
    expected = sorted(
        (float(r["start_unix"]) - t0, float(r["end_unix"]) - t0, CODES[r["code"]])
        for r in _runs(root, subject)
        if r["code"] in CODES
    )
    starts = [(t, m.split(":")[1]) for t, m in item.markers if m.endswith(":start")]
    ends = [(t, m.split(":")[1]) for t, m in item.markers if m.endswith(":end")]
    assert [(a, b, n) for (a, n), (b, _) in zip(starts, ends, strict=True)] == [
        (pytest.approx(a, abs=1e-3), pytest.approx(b, abs=1e-3), n) for a, b, n in expected
    ]
    assert all(0 < a < b < item.recording.duration_s for a, b, _ in expected)
    if subject == "S2":
        # the official (cropped) recording starts 306.5 s before the baseline run
        pkl_t0 = float(_runs(root, "S2")[0]["pkl_t0_unix"])
        assert expected[0][0] + t0 - pkl_t0 == pytest.approx(306.5, abs=0.1)


def test_sam_reports_follow_the_questionnaire(root):
    item = wesad.open_dataset(root).load("S14")
    rows = [line.split(";") for line in (root / "S14" / "S14_quest.csv").read_text().splitlines()]
    order = [c for c in next(r for r in rows if r[0] == "# ORDER")[1:] if c]
    dims = [(int(r[1]), int(r[2])) for r in rows if r[0] == "# DIM"]
    rated = [c for c in order if "Read" not in c]
    assert [(r.condition, r.valence, r.arousal) for r in item.reports] == [
        (c, v, a) for c, (v, a) in zip(rated, dims, strict=True)
    ]
    runs = {r["condition"]: r for r in _runs(root, "S14")}
    t0 = _e4_start_unix(root, "S14")
    for report in item.reports:
        assert report.t_to_s == pytest.approx(float(runs[report.condition]["end_unix"]) - t0)
        assert (report.t_to_s, f"report:{report.t_to_s - report.t_from_s:g}s:") in [
            (t, m[: m.index("s:") + 2]) for t, m in item.markers if m.startswith("report:")
        ]


def test_binary_and_three_class_truth_on_one_subject(root, tmp_path):
    notes: list[str] = []
    pipeline = tmp_path / "p.toml"  # coarse windows: this checks label mechanics, not features
    pipeline.write_text(PIPELINE.replace("hop_s = 5.0", "hop_s = 20.0"))
    options = {
        "subjects": ["S2"],
        "pipeline": str(pipeline),
        "cache_dir": tmp_path / "cache",
        "progress": notes.append,
    }
    _, model_config, (binary,) = prepare(root, "wesad", label_set="binary", **options)
    assert model_config.labels.classes == ("non-stress", "stress")
    _, _, (three,) = prepare(root, "wesad", **options)
    assert notes == ["[1/1] S2: computing features", "[1/1] S2: cached"]
    t0 = _e4_start_unix(root, "S2")
    runs = [
        (float(r["start_unix"]) - t0, float(r["end_unix"]) - t0, r["code"])
        for r in _runs(root, "S2")
    ]

    def inside(w):
        return [code for a, b, code in runs if a <= w.t_start and w.t_end <= b]

    checked = set()
    for w, y2, y3 in zip(binary.windows, binary.truth, three.truth, strict=True):
        codes = inside(w)
        if codes in (["1"], ["3"]):
            assert (y2, y3) == ("non-stress", CODES[codes[0]])
        elif codes == ["2"]:
            assert (y2, y3) == ("stress", "stress")
        else:  # meditation, readings, transients and straddling windows
            assert (y2, y3) == (None, None)
        checked.add(tuple(codes))
    assert {("1",), ("2",), ("3",), ("4",), ()} <= checked
