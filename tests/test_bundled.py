"""Pipelines and profiles by name: the user's ./pipelines and ./devices first, then bundled."""

from emostream import bundled
from emostream.pipeline.config import load_pipeline
from emostream.profiles import list_profiles, load_profile

DEMO = bundled.bundled_dir("pipelines") / "demo.toml"


def test_a_name_resolves_to_the_bundled_file_when_the_user_has_none(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert load_pipeline("demo").path == DEMO
    assert load_profile("polar-h10").path == bundled.bundled_dir("devices") / "polar-h10.toml"


def test_the_users_folders_come_before_the_bundled_ones(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pipelines").mkdir()
    own = tmp_path / "pipelines" / "demo.toml"
    own.write_text(DEMO.read_text().replace('name = "demo"', 'name = "my-demo"'))
    (tmp_path / "devices").mkdir()
    text = (bundled.bundled_dir("devices") / "synthetic-wearer.toml").read_text()
    (tmp_path / "devices" / "my-wearer.toml").write_text(
        text.replace('name = "synthetic-wearer"', 'name = "my-wearer"', 1)
    )
    config = load_pipeline("demo")
    assert (config.path, config.meta.name) == (own, "my-demo")
    assert load_profile("my-wearer").path == tmp_path / "devices" / "my-wearer.toml"
    assert {"my-wearer", "synthetic-wearer"} <= set(list_profiles())
    assert load_pipeline(DEMO).meta.name == "demo"  # a path given explicitly is taken as is
