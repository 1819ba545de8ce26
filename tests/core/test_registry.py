"""Registry: the one mechanism every kind of part registers through."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from emostream.core.registry import Registry, UnknownNameError
from emostream.datasets.registry import DATASETS
from emostream.features.registry import EXTRACTORS
from emostream.formats.registry import FORMATS
from emostream.models.learners import LEARNERS
from emostream.pipeline.build import TRANSPORTS
from emostream.sources.ble import DRIVERS
from emostream.sources.factory import WEARABLES


def test_register_lookup_and_order():
    parts: Registry[type] = Registry("widget")

    @parts.register("b")
    class B:
        pass

    parts.register("a", int)
    parts.lazy("j", "json")
    parts.lazy("d", "json:dumps")
    assert parts.names() == ("b", "a", "j", "d") and list(parts) == ["b", "a", "j", "d"]
    assert parts.get("b") is B and parts["a"] is int
    assert parts.get("j") is json and parts.get("d") is json.dumps
    assert parts.names() == ("b", "a", "j", "d")  # a lazy part keeps its place once loaded
    assert "a" in parts and "z" not in parts and len(parts) == 4


def test_unknown_name_lists_the_known_ones():
    parts: Registry[int] = Registry("widget")
    parts.register("one", 1)
    parts.register("two", 2)
    with pytest.raises(UnknownNameError, match="unknown widget 'three'; known: one, two"):
        parts.get("three")


def test_a_name_is_registered_once():
    parts: Registry[int] = Registry("widget")
    parts.register("one", 1)
    parts.register("one", 1)  # the same part again (a module imported twice) is fine
    with pytest.raises(ValueError, match="two widgets are named 'one'"):
        parts.register("one", 2)


def test_a_lazy_part_is_registered_by_its_module_as_it_loads():
    parts: Registry[object] = Registry("widget")
    parts.lazy("dumps", "json:dumps")
    parts.lazy("loads", "json:loads")
    parts.register("dumps", json.dumps)  # json's own registration of what "dumps" names
    assert parts.get("dumps") is json.dumps
    with pytest.raises(ValueError, match="two widgets are named 'loads'"):
        parts.register("loads", json.dumps)  # not what the lazy entry names


def test_a_pipeline_imports_only_the_extractors_it_names():
    code = (
        "import sys\n"
        "from emostream.features.registry import EXTRACTORS\n"
        "assert len(EXTRACTORS.names()) == 10\n"
        "EXTRACTORS.get('temp')\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('emostream.features.'))\n"
        "print(' '.join(loaded))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(done.stdout.split())
    assert "emostream.features.temp" in loaded
    assert not loaded & {f"emostream.features.{n}" for n in ("eeg", "voice", "face", "text", "rsp")}


@pytest.mark.parametrize(
    ("registry", "names"),
    [
        (EXTRACTORS, {"hrv", "eda", "rsp", "temp", "eeg", "voice", "face", "hr", "acc", "text"}),
        (DRIVERS, {"hr-strap", "polar-h10", "muse"}),
        (
            FORMATS,
            {
                "session",
                "e4",
                "xdf",
                "edf",
                "wfdb",
                "wav",
                "webvtt",
                "srt",
                "transcript-csv",
                "neurokit-csv",
            },
        ),
        (DATASETS, {"wesad", "stress-predict"}),
        (LEARNERS, {"map-logistic", "lda", "logistic", "softmax", "arf", "hoeffding"}),
        (TRANSPORTS, {"recording", "synthetic", "lsl", "ble", "e4-tcp"}),
        (WEARABLES, {"ble", "e4-tcp"}),
    ],
)
def test_every_kind_of_part_registers_through_a_registry(registry, names):
    assert isinstance(registry, Registry) and set(registry.names()) == names
    for name in names:
        assert registry.get(name) is not None
