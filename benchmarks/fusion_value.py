"""Does adding face, voice or text help? Online state and valence accuracy on the synthetic
protocol, physiology alone against physiology with the other modalities, in the same run.

    .venv/bin/python benchmarks/fusion_value.py [--passes 3] [--seeds 1 2 3]

Each seed renders a synthetic wearer (ECG, EDA, RSP, TEMP, EEG) with face, voice and
transcribed-speech (text) streams over `--passes` repetitions of the protocol (baseline, stress, recovery, amusement; 3 min
each) and its phase markers. The demo's model (logistic, classes calm/stress/amusement,
valence calm 0, stress -0.6, amusement 0.8, 60 s windows, 5 s hop) runs prequentially: every
window is predicted before its label can be learned. Scored on the windows after the first
protocol pass that lie wholly inside one phase: balanced accuracy of the state and mean
absolute error of the valence against the phase's valence.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from sklearn.metrics import balanced_accuracy_score

from emostream.core.chunk import Chunk
from emostream.core.spec import StreamSpec, markers_spec, text_spec
from emostream.features.face import face_channels
from emostream.features.registry import parse_feature_tables
from emostream.labels import LabelConfig
from emostream.models.config import ModelConfig
from emostream.models.online import OnlineStateModel
from emostream.pipeline.wearer import WearerPipeline
from emostream.sources.synthetic import phase_markers
from emostream.synth.physiology import EEG_CHANNELS, make_timeline
from emostream.synth.protocol import Protocol
from emostream.synth.streams import renderer_for
from emostream.synth.text import text_stream
from emostream.windowing import WindowConfig

RATES = {"ECG": 250.0, "EDA": 16.0, "RSP": 32.0, "TEMP": 4.0, "EEG": 256.0, "Face": 30.0}
AUDIO_HZ = 16000.0
CHANNELS = {"EEG": EEG_CHANNELS, "Face": face_channels(), "Audio": ("mic",)}
LABELS = LabelConfig(
    classes=("calm", "stress", "amusement"),
    map={"baseline": "calm", "recovery": "calm"},
    valence={"calm": 0.0, "stress": -0.6, "amusement": 0.8},
)
PHYSIOLOGY = {"hrv": {}, "eda": {}, "rsp": {}, "temp": {}}
BODY = ("ECG", "EDA", "RSP", "TEMP")
FACE_VOICE = {"face": {}, "voice": {}}
SETUPS = {
    "physiology (ECG, EDA, RSP, TEMP)": (BODY, PHYSIOLOGY),
    "physiology + face + voice": ((*BODY, "Face", "Audio"), {**PHYSIOLOGY, **FACE_VOICE}),
    "physiology + text": ((*BODY, "Text"), {**PHYSIOLOGY, "text": {}}),
    "physiology + EEG": ((*BODY, "EEG"), {**PHYSIOLOGY, "eeg": {}}),
    "physiology + EEG + face + voice": (
        (*BODY, "EEG", "Face", "Audio"),
        {**PHYSIOLOGY, "eeg": {}, **FACE_VOICE},
    ),
}
WINDOW = WindowConfig(length_s=60.0, hop_s=5.0, max_lag_s=3.0)
CHUNK_S = 0.5


def render(protocol: Protocol, seed: int) -> dict[str, tuple[StreamSpec, np.ndarray, np.ndarray]]:
    total = protocol.duration_s
    timeline = make_timeline(protocol, total, seed)
    out = {}
    marks = phase_markers(protocol, total)
    spec = markers_spec("value-markers", "value:markers")
    out["Markers"] = (spec, np.array([t for t, _ in marks]), np.array([m for _, m in marks]))
    for kind, fs in (*RATES.items(), ("Audio", AUDIO_HZ)):
        t, x = renderer_for(timeline, kind, fs, seed).render(int(total * fs))
        ch = CHANNELS.get(kind, (kind,))
        spec = StreamSpec(kind, f"value-{kind}", ch, ("",) * len(ch), fs, f"value:{kind.lower()}")
        out[kind] = (spec, t, x.astype(np.float32))
    t_s, texts = text_stream(timeline, seed)
    out["Text"] = (text_spec("value-Text", "value:text"), t_s, np.array(texts, dtype=object))
    return out


def truth(protocol: Protocol, t_start: float, t_end: float) -> str | None:
    for name, start, end in protocol.boundaries(protocol.duration_s):
        if start <= t_start and t_end <= end:
            return LABELS.map.get(name, name)
    return None


def run(streams: dict, kinds: tuple[str, ...], features: dict, protocol: Protocol, seed: int):
    """(true labels, predicted states, predicted valences) of the scored windows."""
    chosen = {k: streams[k] for k in ("Markers", *kinds)}  # markers before data
    model = OnlineStateModel(ModelConfig(labels=LABELS, seed=seed), config_hash="fusion-value")
    pipeline = WearerPipeline(
        WINDOW,
        [s for s, _, _ in chosen.values()],
        parse_feature_tables(features, None),
        model=model,
    )
    results = []
    for t0 in np.arange(0.0, protocol.duration_s, CHUNK_S):
        for spec, ts, data in chosen.values():
            lo, hi = np.searchsorted(ts, (t0, t0 + CHUNK_S))
            if hi > lo:
                results += pipeline.push(Chunk.from_arrays(spec, ts[lo:hi], data[lo:hi]))
    results += pipeline.finish()
    first_pass = Protocol().duration_s
    y, state, valence = [], [], []
    for r in results:
        label = truth(protocol, r.features.t_start, r.features.t_end)
        if label is None or r.features.t_start < first_pass or "valence" not in r.prediction:
            continue
        y.append(label)
        state.append(r.prediction["state"])
        valence.append(r.prediction["valence"])
    return y, state, valence


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    args = parser.parse_args(argv)
    protocol = Protocol(Protocol().phases * args.passes)
    scores: dict[str, list[tuple[float, float]]] = {name: [] for name in SETUPS}
    started = time.perf_counter()
    for seed in args.seeds:
        streams = render(protocol, seed)
        for name, (kinds, features) in SETUPS.items():
            y, state, valence = run(streams, kinds, features, protocol, seed)
            target = np.array([LABELS.valence[c] for c in y])
            accuracy = balanced_accuracy_score(y, state)
            mae = float(np.mean(np.abs(np.array(valence) - target)))
            scores[name].append((accuracy, mae))
            print(
                f"seed {seed}  {name:34s} state bal. acc {accuracy:.3f}  valence MAE {mae:.3f}  ({len(y)} windows)"
            )
    print(
        f"\n{args.passes} protocol passes ({protocol.duration_s / 60:.0f} min) x {len(args.seeds)} seeds, "
        f"scored after the first pass; {time.perf_counter() - started:.0f} s\n"
    )
    print("| inputs | state balanced accuracy | valence MAE |")
    print("|---|---|---|")
    for name, rows in scores.items():
        acc, mae = np.array(rows).T
        print(
            f"| {name} | {acc.mean():.3f} ± {acc.std():.3f} | {mae.mean():.3f} ± {mae.std():.3f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
