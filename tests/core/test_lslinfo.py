"""StreamSpec <-> pylsl.StreamInfo: channel meta-data survives the trip, and the meta-data LSL
advertises to the whole local network holds technical fields only. No outlet is opened."""

from __future__ import annotations

import getpass
import socket

import pylsl

from emostream import __version__
from emostream.core.lslinfo import info_to_spec, spec_to_info
from emostream.core.spec import StreamSpec

#: two channels whose units and types differ, so a mix-up between them shows
CHEST = StreamSpec(
    "ECG",
    "chest-ECG",
    ("ECG", "ACC_X"),
    ("microvolts", "mg"),
    130.0,
    "polar-h10:ecg",
    "float32",
    ("ECG", "ACC"),
)


def _leaves(element: pylsl.XMLElement, path: str = "") -> list[tuple[str, str]]:
    """(path, text) of every value under `element`, in document order."""
    out: list[tuple[str, str]] = []
    child = element.first_child()
    while not child.empty():
        where = f"{path}/{child.name()}"
        if child.first_child().empty() or child.first_child().is_text():
            out.append((where, child.value() or child.child_value()))
        else:
            out += _leaves(child, where)
        child = child.next_sibling()
    return out


def test_stream_meta_data_holds_technical_fields_only():
    info = spec_to_info(CHEST, manufacturer="Polar", model="H10")
    assert _leaves(info.desc()) == [
        ("/channels/channel/label", "ECG"),
        ("/channels/channel/unit", "microvolts"),
        ("/channels/channel/type", "ECG"),
        ("/channels/channel/label", "ACC_X"),
        ("/channels/channel/unit", "mg"),
        ("/channels/channel/type", "ACC"),
        ("/acquisition/manufacturer", "Polar"),
        ("/acquisition/model", "H10"),
        ("/acquisition/software", f"emostream {__version__}"),
    ]
    desc = info.as_xml().split("<desc>", 1)[1]
    for personal in (getpass.getuser(), socket.gethostname()):
        assert f">{personal}<" not in desc and f" {personal}" not in desc


def test_channel_labels_units_and_types_survive_the_round_trip():
    back = info_to_spec(spec_to_info(CHEST, manufacturer="Polar", model="H10"))
    assert back == CHEST
    assert [(c, u, t) for c, u, t in zip(back.channels, back.units, back.types, strict=True)] == [
        ("ECG", "microvolts", "ECG"),
        ("ACC_X", "mg", "ACC"),
    ]
