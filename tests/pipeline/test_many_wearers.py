"""One process hosts many wearers: each pipeline sees only its own wearer's data."""

import asyncio

from emostream.features.hrv import HrvParams
from emostream.pipeline.runner import Wearer, run_wearers
from emostream.pipeline.wearer import WearerPipeline
from emostream.sources.synthetic import SyntheticWearerSource
from emostream.windowing import WindowConfig

WINDOW = WindowConfig(length_s=30.0, hop_s=5.0)
FEATURES = {"hrv": HrvParams()}


def make_wearer(seed: int) -> tuple[Wearer, list]:
    source = SyntheticWearerSource(
        seed=seed, duration_s=90.0, kinds=("ECG", "Markers"), chunk_s=0.5
    )
    pipeline = WearerPipeline(WINDOW, source.specs, FEATURES)
    rows: list = []
    return Wearer([source], pipeline, lambda r: rows.append(r.features.row())), rows


def test_twelve_wearers_in_one_process_match_solo_runs():
    crowd = [make_wearer(seed) for seed in range(12)]
    asyncio.run(run_wearers([w for w, _ in crowd]))
    for seed in (0, 7, 11):
        solo, solo_rows = make_wearer(seed)
        asyncio.run(run_wearers([solo]))
        assert crowd[seed][1] == solo_rows
    heart_rates = {round(rows[-1]["hr_bpm"], 3) for _, rows in crowd}
    assert len(heart_rates) > 6  # different wearers, different hearts
    assert all(len(rows) == len(crowd[0][1]) > 5 for _, rows in crowd)
