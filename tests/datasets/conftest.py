"""Small WESAD-layout subjects rendered from the synthetic wearer's physiology."""

from __future__ import annotations

import gc
import pickle
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest

from emostream.features.base import FeatureVector
from emostream.synth.physiology import StreamRenderer, make_timeline
from emostream.synth.protocol import Protocol

#: WESAD label codes of the synthetic phases
CODES = {"baseline": 1, "stress": 2, "amusement": 3}
PHASES = (("baseline", 300.0), ("stress", 240.0), ("amusement", 240.0))
#: samples before the protocol starts and after it ends (label 0, as in WESAD)
LEAD_S = 20.0


def _render(timeline, kind: str, rate_hz: float, seed: int) -> np.ndarray:
    renderer = StreamRenderer(timeline, kind, rate_hz, seed)
    return renderer.render(int(timeline.total_s * rate_hz))[1]


def _signals(seed: int, phases=PHASES) -> tuple[dict[str, np.ndarray], float]:
    total_s = sum(d for _, d in phases) + 2 * LEAD_S
    timeline = make_timeline(
        Protocol((("baseline", LEAD_S), *phases, ("baseline", LEAD_S))), total_s, seed
    )
    rng = np.random.default_rng(seed)
    n_acc = int(total_s * 32)
    acc = np.column_stack(
        [rng.normal(0, 1, n_acc), rng.normal(0, 1, n_acc), 64 + rng.normal(0, 1, n_acc)]
    )
    return {
        "BVP": _render(timeline, "PPG", 64.0, seed),
        "EDA": _render(timeline, "EDA", 4.0, seed),
        "TEMP": _render(timeline, "TEMP", 4.0, seed),
        "ACC": acc,
    }, total_s


def _labels(total_s: float, phases=PHASES) -> np.ndarray:
    labels = np.zeros(int(total_s * 700), dtype=np.int64)
    t = LEAD_S
    for name, duration in phases:
        labels[int(t * 700) : int((t + duration) * 700)] = CODES[name]
        t += duration
    return labels


def write_pickle_subject(root: Path, subject: str, seed: int, chest: bool = True) -> Path:
    """`root/SX/SX.pkl` with wrist signals, a chest respiration channel and 700 Hz labels."""
    wrist, total_s = _signals(seed)
    resp = np.sin(2 * np.pi * 0.25 * np.arange(int(total_s * 700)) / 700)[:, None]
    content = {
        "signal": {"chest": {"Resp": resp} if chest else {}, "wrist": wrist},
        "label": _labels(total_s),
        "subject": subject,
    }
    folder = root / subject
    folder.mkdir(parents=True)
    with (folder / f"{subject}.pkl").open("wb") as fh:
        pickle.dump(content, fh, protocol=2)
    return folder


def _mmss(t_s: float) -> str:
    return f"{int(t_s // 60)}.{round(t_s % 60):02d}"


#: quest times are on the chest device's clock, which started this long before the E4
CHEST_LEAD_S = 95.0
#: SAM (valence, arousal) the synthetic subjects report per phase
SAM = {"baseline": (6, 2), "stress": (3, 8), "amusement": (8, 5)}
#: official condition names and codes of the synthetic phases
CONDITIONS = {"baseline": "Base", "stress": "TSST", "amusement": "Fun"}


def write_quest(folder: Path, subject: str) -> Path:
    """`SX_quest.csv` with the phases on the chest clock, a reading, and one DIM row each."""
    order, start, end = [], [], []
    t = LEAD_S + CHEST_LEAD_S
    for name, duration in PHASES:
        order.append(CONDITIONS[name])
        start.append(_mmss(t))
        end.append(_mmss(t + duration))
        t += duration
    order.append("sRead")
    start.append(_mmss(t))
    end.append(_mmss(t + 10))
    rows = [
        f"# Subj;{subject};;;",
        "# ORDER;" + ";".join(order),
        "# START;" + ";".join(start),
        "# END;" + ";".join(end),
        "",
        "# PANAS;1;2;3",
        *(f"# DIM;{SAM[name][0]};{SAM[name][1]};;" for name, _ in PHASES),
        "# SSSQ;5;5;4",
    ]
    path = folder / f"{subject}_quest.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def write_label_runs(root: Path, subject: str, t0_unix: float) -> Path:
    """Append the subject's rows to `root/labels_e4_unix.csv` (on the E4 clock)."""
    path = root / "labels_e4_unix.csv"
    if not path.exists():
        path.write_text("subject,condition,code,label,start_unix,end_unix,duration_s\n")
    rows = []
    t = t0_unix + LEAD_S
    for name, duration in PHASES:
        rows.append(
            f"{subject},{CONDITIONS[name]},{CODES[name]},{name},{t:.4f},{t + duration:.4f},"
            f"{duration:.3f}\n"
        )
        t += duration
    rows.append(f"{subject},sRead,6,ignore,{t:.4f},{t + 10:.4f},10.000\n")
    with path.open("a") as fh:
        fh.writelines(rows)
    return path


def write_e4_subject(
    root: Path, subject: str, seed: int, t0_unix: float = 1_500_000_000.0, zipped: bool = False
) -> Path:
    """`root/SX/SX_E4_Data/*.csv` (or `SX_E4_Data.zip`), `root/SX/SX_quest.csv` and the
    subject's rows of `root/labels_e4_unix.csv`."""
    wrist, _ = _signals(seed)
    folder = root / subject
    folder.mkdir(parents=True)
    rates = {"BVP": 64.0, "EDA": 4.0, "TEMP": 4.0, "ACC": 32.0}
    files = {}
    for stem, data in wrist.items():
        data = data.reshape(len(data), -1)
        cols = data.shape[1]
        head = f"{','.join([f'{t0_unix:.6f}'] * cols)}\n{','.join([f'{rates[stem]:.6f}'] * cols)}\n"
        body = "\n".join(",".join(f"{v:.6f}" for v in row) for row in data)
        files[f"{stem}.csv"] = head + body + "\n"
    if zipped:
        with zipfile.ZipFile(folder / f"{subject}_E4_Data.zip", "w") as zf:
            for name, text in files.items():
                zf.writestr(name, text)
    else:
        e4 = folder / f"{subject}_E4_Data"
        e4.mkdir()
        for name, text in files.items():
            (e4 / name).write_text(text)
    write_quest(folder, subject)
    write_label_runs(root, subject, t0_unix)
    return folder


@pytest.fixture(autouse=True)
def feature_cache_home(tmp_path_factory, monkeypatch) -> Path:
    """Every test's default feature cache is a fresh folder, never the user's ~/.cache."""
    home = tmp_path_factory.mktemp("xdg-cache")
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    return home


def every_field_windows() -> list[FeatureVector]:
    """Windows using every FeatureVector field, with features absent from some of them."""
    return [
        FeatureVector(
            0.0,
            60.0,
            values={"hr_bpm": 71.25, "eda_scl_us": 0.1 + 0.2},
            quality={"ppg": 0.5},
            coverage={"ppg": 1.0, "eda": 0.75},
            flags={"ppg": ("gap", "clipped")},
            reasons={"hrv": "quality_ppg 0.31 < 0.50"},
            markers=[(12.5, "phase:baseline:start"), (30.0, "report:60s:state=calm")],
            staleness={"ppg": 0.015625},
        ),
        FeatureVector(1.0, 61.0, values={"temp_c": 33.0}),
        FeatureVector(2.0, 62.0),
        FeatureVector(3.0, 63.0, values={"eda_scl_us": -0.0, "hr_bpm": 1e-300}),
    ]


def traced_growth(make):
    """What `make()` returns, and the bytes it leaves allocated."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        made = make()
        gc.collect()
        return made, tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
