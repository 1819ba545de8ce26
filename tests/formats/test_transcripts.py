"""Timed transcripts (WebVTT, SRT, start/end/text CSV) as `Text` recordings, and `process` on them."""

from __future__ import annotations

import json

import numpy as np
import pyarrow.parquet as pq
import pytest

from emostream.cli import main
from emostream.errors import RecordingError, UsageError
from emostream.formats.registry import DEFAULT_PIPELINES, detect_format, read_recording

VTT = """WEBVTT

intro
00:00:01.000 --> 00:00:03.500
<v Alice>Hello there, I love this!

00:00:20.000 --> 00:00:22.250
<v Bob>I hate it.
I can't stand it.

00:00:58.500 --> 00:01:00.000
<v Alice>Why?
"""
SRT = """1
00:00:01,000 --> 00:00:03,500
Hello there, <i>I love this!</i>

2
00:00:20,000 --> 00:00:22,250
I hate it. I can't stand it.
"""
CSV = """start,end,text,speaker
1.0,3.5,"Hello there, I love this!",Alice
20,22.25,"I hate it, I can't stand it.",Bob
oops,23,this row has no start time,Bob
"""


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("name", "content", "fmt"),
    [("talk.vtt", VTT, "webvtt"), ("talk.srt", SRT, "srt"), ("talk.csv", CSV, "transcript-csv")],
)
def test_each_format_reads_utterances_stamped_at_their_end(tmp_path, name, content, fmt):
    path = _write(tmp_path, name, content)
    assert detect_format(path) == fmt and DEFAULT_PIPELINES[fmt] == "text"
    got_fmt, recording = read_recording(path, t0_s=100.0)
    assert got_fmt == fmt
    stream = recording.streams["text"]
    assert stream.spec.kind == "Text" and stream.spec.is_text
    assert stream.timestamps[:2].tolist() == [103.5, 122.25]
    texts = stream.data[:, 0].tolist()
    assert texts[0] == "Hello there, I love this!"
    assert "hate" in texts[1] and "<i>" not in "".join(texts)


def test_an_option_that_does_not_apply_to_the_format_is_refused_naming_its_flag(tmp_path):
    path = _write(tmp_path, "talk.srt", SRT)
    with pytest.raises(UsageError, match=r"talk\.srt: --fs-hz does not apply to the 'srt' format"):
        read_recording(path, fs_hz=100.0)
    with pytest.raises(UsageError, match="--fs-hz does not apply to the 'webvtt' format"):
        read_recording(_write(tmp_path, "talk.vtt", VTT), fmt="webvtt", t0_s=5.0, fs_hz=100.0)


def test_speakers_come_from_voice_spans_and_the_speaker_column(tmp_path):
    for name, content in (("a.vtt", VTT), ("a.csv", CSV)):
        _, recording = read_recording(_write(tmp_path, name, content))
        stream = recording.streams["text"]
        assert stream.spec.channels == ("text", "speaker")
        assert stream.data[:2, 1].tolist() == ["Alice", "Bob"]
    _, srt = read_recording(_write(tmp_path, "a.srt", SRT))
    assert srt.streams["text"].spec.channels == ("text",)


def test_malformed_csv_rows_are_counted_and_a_missing_column_named(tmp_path):
    _, recording = read_recording(_write(tmp_path, "a.csv", CSV))
    assert recording.meta["n_skipped_cues"] == 1 and len(recording.streams["text"].data) == 2
    bad = _write(tmp_path, "b.csv", "start,end,words\n1,2,hello\n")
    with pytest.raises(RecordingError, match=r"b\.csv: .*missing text"):
        read_recording(bad, fmt="transcript-csv")
    with pytest.raises(RecordingError, match="holds no cue"):
        read_recording(_write(tmp_path, "c.vtt", "WEBVTT\n\n"))


def test_a_csv_row_ending_before_it_starts_is_skipped_and_counted(tmp_path):
    path = _write(tmp_path, "a.csv", "start,end,text\n5,4,backwards\n6,7,forwards\n")
    _, recording = read_recording(path)
    assert recording.meta["n_skipped_cues"] == 1
    assert recording.streams["text"].data[:, 0].tolist() == ["forwards"]


def test_webvtt_cues_past_the_first_hour_keep_their_hours(tmp_path):
    vtt = "WEBVTT\n\n00:59:59.000 --> 01:00:02.500\nStill here.\n\n"
    vtt += "01:02:03.000 --> 01:02:04.250\nAn hour in.\n"
    _, recording = read_recording(_write(tmp_path, "long.vtt", vtt))
    assert recording.streams["text"].timestamps.tolist() == [3602.5, 3724.25]


def test_invalid_utf8_cues_are_skipped_and_counted_by_the_extractor(tmp_path, capsys):
    path = tmp_path / "broken.srt"
    path.write_bytes(
        b"1\n00:00:01,000 --> 00:00:02,000\nHi.\n\n"
        b"2\n00:00:08,000 --> 00:00:09,000\nGreat, I love it!\n\n"
        b"3\n00:00:10,000 --> 00:00:11,000\n\xff\xfe garbled \xc3\n\n"
        b"4\n00:00:50,000 --> 00:00:51,000\nThat is fine.\n"
    )
    out = tmp_path / "o"
    assert main(["process", str(path), "--out", str(out), "--quiet"]) == 0
    table = pq.read_table(out / "features.parquet").to_pandas()
    first = table.iloc[0]  # (5, 35]: one good utterance and one garbled
    assert first["t_end"] == 35.0
    assert first["text_utterance_count"] == 1.0 and first["quality_text"] == pytest.approx(0.5)
    assert first["text_valence"] > 0


def test_process_a_transcript_gives_text_features(tmp_path, capsys):
    path = _write(tmp_path, "talk.vtt", VTT)
    out = tmp_path / "o"
    assert main(["process", str(path), "--out", str(out), "--json", "--quiet"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["inputs"][0]["format"] == "webvtt"
    table = pq.read_table(out / "features.parquet").to_pandas().set_index("t_end")
    # 30 s windows every 5 s, the first ending at 35 s: it holds "I hate it..." (ended at
    # 22.25 s) but not the greeting, which ended at 3.5 s, before the window's start
    assert table.index[0] == 35.0
    assert table.loc[35.0, "text_valence"] < 0
    assert table.loc[35.0, "text_utterance_count"] == 1.0
    # 30 s after the last utterance the sentiment is absent, not 0
    assert table.loc[55.0, "text_valence"] != table.loc[55.0, "text_valence"]  # NaN in the table
    # the last cue ends at 60 s and reaches the last window
    assert table.loc[60.0, "text_question_rate"] == 1.0


def _physiology_csv(tmp_path, seconds: int = 120):
    """A NeuroKit-style CSV: 100 Hz ECG and EDA, no time column."""
    import neurokit2 as nk

    ecg = nk.ecg_simulate(duration=seconds, sampling_rate=100, heart_rate=70, random_state=2)
    eda = 2.0 + nk.eda_simulate(duration=seconds, sampling_rate=100, random_state=2)
    path = tmp_path / "physio.csv"
    path.write_text(
        "ECG,EDA\n" + "\n".join(f"{a:.5f},{b:.5f}" for a, b in zip(ecg, eda, strict=True))
    )
    return path


def test_process_joins_a_transcript_to_a_physiology_recording(tmp_path):
    physio = _physiology_csv(tmp_path)
    talk = _write(tmp_path, "talk.csv", "start,end,text\n70,71.5,I am so happy today!\n")
    base = ["process", str(physio), "--fs-hz", "100", "--quiet", "--transcript", str(talk)]
    assert main([*base, "--out", str(tmp_path / "a")]) == 0
    table = pq.read_table(tmp_path / "a" / "features.parquet").to_pandas().set_index("t_end")
    assert table["hr_bpm"].notna().all()
    # the utterance ended at 71.5 s after the recording's first sample (t = 0)
    assert np.isnan(table.loc[71.0, "text_valence"]) and table.loc[72.0, "text_valence"] > 0.5
    # with the transcript's 0:00 at 10 s on the recording's clock, it ended at 81.5 s
    assert main([*base, "--transcript-t0-s", "10", "--out", str(tmp_path / "b")]) == 0
    shifted = pq.read_table(tmp_path / "b" / "features.parquet").to_pandas().set_index("t_end")
    assert np.isnan(shifted.loc[81.0, "text_valence"]) and shifted.loc[82.0, "text_valence"] > 0.5


def test_transcript_option_refuses_what_it_cannot_use(tmp_path, capsys):
    physio = _physiology_csv(tmp_path, seconds=70)
    talk = _write(tmp_path, "talk.vtt", VTT)
    out = ["--out", str(tmp_path / "o"), "--quiet"]
    fs = ["--fs-hz", "100"]
    assert main(["process", str(physio), *fs, "--transcript", str(physio), *out]) == 2
    assert "not a transcript" in capsys.readouterr().err
    assert main(["process", str(physio), str(physio), *fs, "--transcript", str(talk), *out]) == 2
    assert "one INPUT" in capsys.readouterr().err
    assert main(["process", str(physio), *fs, "--transcript-t0-s", "3", *out]) == 2
    assert "needs --transcript" in capsys.readouterr().err
    voice = ["--pipeline", "voice", "--transcript", str(talk)]
    assert main(["process", str(physio), *fs, *voice, *out]) == 2
    assert "has no [features.text]" in capsys.readouterr().err
