"""Pipeline files: what the config hash and the features hash are of, and the tables that need
each other."""

from __future__ import annotations

from pathlib import Path

import pytest

from emostream.errors import ConfigError
from emostream.pipeline.config import load_pipeline

PIPELINE = """
[pipeline]
name = "p"
[window]
length_s = 30.0
hop_s = 5.0
[[sources]]
device = "synthetic-wearer"
speed = 0.0
duration_s = 60.0
[features.hrv]
min_quality = 0.5
[features.eda]
[model]
learner = "lda"
"""

#: PIPELINE with its tables and keys in another order, and comments
REORDERED = """
# the same pipeline, written another way
[model]
learner = "lda"  # the default, named anyway
[features.eda]
[features.hrv]
min_quality = 0.5
[window]
hop_s = 5.0
length_s = 30.0
[pipeline]
name = "p"
[[sources]]
duration_s = 60.0
speed = 0.0
device = "synthetic-wearer"
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


def test_key_order_and_comments_do_not_change_the_config_hash(tmp_path):
    plain = load_pipeline(write(tmp_path, "plain.toml", PIPELINE))
    reordered = load_pipeline(write(tmp_path, "reordered.toml", REORDERED))
    assert reordered.raw == plain.raw
    assert reordered.config_hash == plain.config_hash
    assert reordered.features_hash == plain.features_hash


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("hop_s = 5.0", "hop_s = 2.0"),
        ("duration_s = 60.0", "duration_s = 90.0"),
        ("min_quality = 0.5", "min_quality = 0.2"),
    ],
    ids=["window", "sources", "features"],
)
def test_what_decides_the_windows_changes_the_features_hash(tmp_path, old, new):
    """Cached feature windows are reused only for the same window, sources and extractors."""
    plain = load_pipeline(write(tmp_path, "plain.toml", PIPELINE))
    changed = load_pipeline(write(tmp_path, "changed.toml", PIPELINE.replace(old, new)))
    assert changed.features_hash != plain.features_hash
    assert changed.config_hash != plain.config_hash


def test_another_model_keeps_the_features_hash(tmp_path):
    plain = load_pipeline(write(tmp_path, "plain.toml", PIPELINE))
    other = PIPELINE.replace('learner = "lda"', 'learner = "logistic"') + "[labels]\n"
    changed = load_pipeline(write(tmp_path, "changed.toml", other))
    assert changed.features_hash == plain.features_hash
    assert changed.config_hash != plain.config_hash


def test_a_labels_table_without_a_model_table_is_an_error_naming_labels(tmp_path):
    text = PIPELINE.replace('[model]\nlearner = "lda"\n', '[labels]\nclasses = ["low", "high"]\n')
    path = write(tmp_path, "p.toml", text)
    with pytest.raises(ConfigError, match=r"\[labels\] needs a \[model\] table") as error:
        load_pipeline(path)
    assert error.value.file == str(path) and error.value.key == "labels"
