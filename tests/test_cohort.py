"""Naming the sessions of a cohort (pure path arithmetic, no processing)."""

from __future__ import annotations

import pytest

from emostream.cohort import session_names
from emostream.errors import UsageError


def test_sessions_are_named_after_their_inputs_and_told_apart_by_their_folders(tmp_path):
    for folder in ("site-a/S01", "site-b/S01", "site-b/S02"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "S3_E4_Data.zip").write_bytes(b"")
    (tmp_path / "rest.csv.gz").write_bytes(b"")
    paths = [tmp_path / p for p in ("site-a/S01", "site-b/S01", "site-b/S02")]
    paths += [tmp_path / "S3_E4_Data.zip", tmp_path / "rest.csv.gz"]
    assert session_names(paths) == ["site-a-S01", "site-b-S01", "S02", "S3_E4_Data", "rest"]


def test_an_input_given_twice_is_refused_by_name(tmp_path):
    (tmp_path / "S01").mkdir()
    with pytest.raises(UsageError, match="S01: given more than once"):
        session_names([tmp_path / "S01", tmp_path / "." / "S01"])
