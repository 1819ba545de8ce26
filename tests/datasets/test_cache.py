"""The per-subject feature cache: hits skip the pipeline, any change or damage recomputes."""

from __future__ import annotations

import os

import numpy as np
import pytest

from emostream.datasets import cache, windows
from emostream.datasets.registry import prepare

from .conftest import every_field_windows, write_e4_subject
from .test_wesad import PIPELINE


@pytest.fixture
def dataset(tmp_path):
    write_e4_subject(tmp_path / "data", "S2", seed=5, zipped=True)
    (tmp_path / "p.toml").write_text(PIPELINE)
    return tmp_path


def _prepare(root, notes, **options):
    return prepare(
        root / "data",
        "wesad",
        pipeline=str(root / "p.toml"),
        cache_dir=root / "cache",
        progress=notes.append,
        **options,
    )[2][0]


def _entries(root):
    return sorted((root / "cache").rglob("*.npz"))


def test_second_prepare_reads_the_cache(dataset, monkeypatch):
    notes: list[str] = []
    first = _prepare(dataset, notes)
    assert notes == ["[1/1] S2: computing features"]
    assert len(_entries(dataset)) == 1 and first.windows and first.reports
    calls = []
    monkeypatch.setattr(windows, "feature_windows", lambda *a: calls.append(a))
    second = _prepare(dataset, notes)
    assert notes[1:] == ["[1/1] S2: cached"] and not calls
    assert second == first
    assert second.fingerprint == first.fingerprint != ""
    # every FeatureVector field survives: compare all of them, not only the features
    assert any(w.markers for w in second.windows) and any(w.coverage for w in second.windows)
    assert any(w.reasons for w in second.windows) or any(w.flags for w in second.windows)


def test_the_label_set_is_applied_to_cached_windows(dataset, monkeypatch):
    first = _prepare(dataset, [])
    monkeypatch.setattr(windows, "feature_windows", lambda *a: pytest.fail("recomputed"))
    binary = _prepare(dataset, [], label_set="binary")
    assert binary.windows == first.windows
    mapping = {"baseline": "non-stress", "amusement": "non-stress", "stress": "stress"}
    assert binary.truth == [mapping.get(t) if t else None for t in first.truth]
    assert {"non-stress", "stress"} <= set(binary.truth)


def test_a_changed_pipeline_misses(dataset):
    notes: list[str] = []
    _prepare(dataset, notes)
    (dataset / "p.toml").write_text(PIPELINE.replace("hop_s = 5.0", "hop_s = 10.0"))
    again = _prepare(dataset, notes)
    assert notes == ["[1/1] S2: computing features"] * 2
    assert len(_entries(dataset)) == 2
    assert again.windows[1].t_end - again.windows[0].t_end == pytest.approx(10.0)


def test_a_touched_input_file_misses(dataset):
    notes: list[str] = []
    first = _prepare(dataset, notes)
    archive = dataset / "data" / "S2" / "S2_E4_Data.zip"
    stat = archive.stat()
    os.utime(archive, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    again = _prepare(dataset, notes)
    assert notes[1] == "[1/1] S2: computing features (cache entry stale (fingerprint changed))"
    assert again.fingerprint != first.fingerprint and again.windows == first.windows


def test_features_from_other_code_are_not_reused(dataset, monkeypatch):
    notes: list[str] = []
    _prepare(dataset, notes)
    monkeypatch.setattr(cache, "code_fingerprint", lambda _excluded=None: "edited extractor")
    _prepare(dataset, notes)
    assert notes[1] == "[1/1] S2: computing features (cache entry stale (code changed))"


@pytest.mark.parametrize("damage", ["garbage", "truncated", "wrong shape"])
def test_a_damaged_entry_is_recomputed(dataset, damage):
    notes: list[str] = []
    first = _prepare(dataset, notes)
    (entry,) = _entries(dataset)
    if damage == "garbage":
        entry.write_bytes(b"not a cache entry")
    elif damage == "truncated":
        entry.write_bytes(entry.read_bytes()[:-200])
    else:
        with np.load(entry, allow_pickle=False) as content:
            arrays = {name: content[name] for name in content.files}
        arrays["values"] = arrays["values"][:, :-1]
        with entry.open("wb") as fh:
            np.savez(fh, **arrays)
    again = _prepare(dataset, notes)
    assert notes[1] == "[1/1] S2: computing features (cache entry unreadable)"
    assert again == first
    _prepare(dataset, notes)
    assert notes[2] == "[1/1] S2: cached"  # the entry was rewritten


def test_no_cache_neither_reads_nor_writes(dataset):
    notes: list[str] = []
    _prepare(dataset, notes, use_cache=False)
    assert notes == ["[1/1] S2: computing features"] and not _entries(dataset)


def test_an_entry_round_trips_every_field(tmp_path):
    windows_in = every_field_windows()
    key = cache.cache_key("abc", "def")
    path = tmp_path / "e.npz"
    cache.save(path, key, windows_in, [])
    assert cache.load(path, key) == (windows_in, [])
    with pytest.raises(cache.CacheMiss, match="config_hash"):
        cache.load(path, cache.cache_key("xyz", "def"))


def test_a_changed_model_table_keeps_the_cached_windows(dataset):
    notes: list[str] = []
    _prepare(dataset, notes)
    (dataset / "p.toml").write_text(PIPELINE.replace("warmup_s = 60.0", "warmup_s = 30.0"))
    _prepare(dataset, notes)
    assert notes == ["[1/1] S2: computing features", "[1/1] S2: cached"]
