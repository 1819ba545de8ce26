"""The subject's pseudonym stays off the network: no LSL outlet of a live session carries it
in its name, source_id or meta-data, which every machine on the local network can read."""

from __future__ import annotations

import threading
import uuid

import pylsl

from emostream.cli import main

PIPELINE = """
[pipeline]
name = "h10-privacy"
[window]
length_s = 5.0
hop_s = 1.0
[[sources]]
device = "polar-h10"
address = "simulate"
[features.hrv]
[model]
learner = "logistic"
[labels]
classes = ["calm", "stress"]
[outputs]
lsl_prefix = "{prefix}"
"""


def test_no_lsl_outlet_carries_the_subject_id(tmp_path, capsys):
    prefix = f"privacy{uuid.uuid4().hex[:8]}"
    subject = f"S{uuid.uuid4().hex[:10]}"
    path = tmp_path / "h10.toml"
    path.write_text(PIPELINE.format(prefix=prefix))
    seen: dict[str, str] = {}

    def read_outlets() -> None:
        # State and its markers are declared at the start, Features within 10 windows
        for info in pylsl.resolve_bypred(f"starts-with(name,'{prefix}')", 3, 60.0):
            inlet = pylsl.StreamInlet(info)
            seen[info.name()] = inlet.info(10.0).as_xml()
            inlet.close_stream()

    reader = threading.Thread(target=read_outlets)
    reader.start()
    code = main(["run", str(path), "--subject", subject, "--duration", "25", "--no-record"])
    reader.join()
    assert code == 0, capsys.readouterr().err
    assert sorted(seen) == [f"{prefix}-{n}" for n in ("Features", "State", "State-Markers")]
    for name, xml in seen.items():
        assert "<channels>" in xml  # the full meta-data, not just the header
        assert subject not in xml, f"{name} publishes the subject id"
