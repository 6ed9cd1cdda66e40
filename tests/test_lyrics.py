"""Lyrics in: sections, syllables, stress and rhyme; a song form; one sung note per syllable with
stressed syllables on strong beats; the MIDI carries the words."""

import os
import subprocess
import sys
from pathlib import Path

import pretty_midi
import pytest

from mmgen import GenerationRequest, generate
from mmgen.decoders.composer.vocal import slot_strength
from mmgen.encoders.lyrics import parse_lyrics, split_word, syllabify
from mmgen.errors import InvalidRequest
from mmgen.pipeline import make_plan

ROOT = Path(__file__).resolve().parents[1]
SONG = """[Verse]
I walked along the river late at night
Remember how the city shone so bright

[Chorus]
Tonight we are on fire
Singing higher and higher

[Verse]
Yesterday was just a dream
Nothing ever what it seemed

[Chorus]
Tonight we are on fire
Singing higher and higher
"""


def test_sections_from_tags_and_from_repeated_stanzas():
    tagged = parse_lyrics(SONG)
    assert [s.name for s in tagged.sections] == ["Verse 1", "Chorus", "Verse 2", "Chorus"]
    assert tagged.sections[0].rhyme_scheme() == "AA"  # night / bright
    untagged = parse_lyrics(
        "One two three\nFour five six\n\nLa la la\nLa la la\n\nSeven eight\nNine ten\n\nLa la la\nLa la la"
    )
    assert [s.role for s in untagged.sections] == ["verse", "chorus", "verse", "chorus"]


@pytest.mark.parametrize(
    "word, pieces",
    [
        ("remember", ["re", "mem", "ber"]),
        ("tonight", ["to", "night"]),
        ("fire", ["fire"]),
        ("yesterday", ["yes", "ter", "day"]),
        ("beautiful", ["beau", "ti", "ful"]),
        ("loved", ["loved"]),
    ],
)
def test_syllables(word, pieces):
    assert split_word(word) == pieces


def test_stress_and_cjk():
    stresses = [s.stressed for s in syllabify("Remember the river")]
    assert stresses == [False, True, False, False, True, False]  # re-MEM-ber the RI-ver
    assert len(syllabify("夜空に光る星")) == 6  # one syllable per character, no stress
    assert not any(s.stressed for s in syllabify("夜空に光る星"))


def test_the_song_form_sets_the_plan():
    plan = make_plan(GenerationRequest(lyrics=SONG, prompt="pop", duration_s=None, seed=1))
    names = [s.name for s in plan.sections]
    assert names[0] == "Intro" and names[-1] == "Outro" and names[1:-1] == ["Verse 1", "Chorus", "Verse 2", "Chorus"]
    assert len(plan.lyric_slots) == 8
    assert plan.duration_s == pytest.approx(plan.final_chord_s + plan.ring_s)
    chorus = next(s for s in plan.sections if s.role == "chorus")
    verse = next(s for s in plan.sections if s.role == "verse")
    assert chorus.energy > verse.energy
    fitted = make_plan(GenerationRequest(lyrics=SONG, prompt="pop", duration_s=50, seed=1))
    assert fitted.duration_s == pytest.approx(50.0)
    with pytest.raises(InvalidRequest, match="take about"):
        make_plan(GenerationRequest(lyrics=SONG, duration_s=600, seed=1))


def test_one_note_per_syllable_on_the_beat_and_lyrics_in_the_midi(tmp_path):
    track = generate(GenerationRequest(lyrics=SONG, prompt="acoustic folk", duration_s=None, seed=4))
    score, plan = track.tokens, track.plan
    vocal = next(p for p in score.parts if p.name == "vocal")
    syllables = [s for slot in plan.lyric_slots for s in slot.line.syllables]
    assert len(vocal.notes) == len(syllables) == len(score.lyrics)
    bpb = plan.meter.beats_per_bar
    strengths = [slot_strength(round((n.start_beat - plan.bar_start_beat(0)) * 2), 2, bpb) for n in vocal.notes]
    stressed = [st for st, syl in zip(strengths, syllables) if syl.stressed]
    unstressed = [st for st, syl in zip(strengths, syllables) if not syl.stressed]
    assert sum(st >= 1 for st in stressed) / len(stressed) >= 0.8  # stressed syllables on beats
    assert sum(st >= 2 for st in stressed) / len(stressed) > sum(st >= 2 for st in unstressed) / len(unstressed)
    midi = pretty_midi.PrettyMIDI(str(track.save(tmp_path / "song.mid")))
    assert [lyric.text.rstrip("-") for lyric in midi.lyrics] == [s.text for s in syllables]
    assert abs(track.audio.duration_s - plan.duration_s) < 1e-3


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "empty"),
        ("[Verse]\n[Chorus]\n", "no words"),
        ("la " * 3000, "under 5,000"),
        ("bad \x07 bell", "control character"),
        (
            "one two three four five six seven eight nine ten eleven twelve "
            "thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty",
            "syllables",
        ),
    ],
)
def test_bad_lyrics_get_plain_messages(text, message):
    read = (
        (lambda: make_plan(GenerationRequest(lyrics=text, duration_s=None))) if text else (lambda: parse_lyrics(text))
    )
    with pytest.raises(InvalidRequest, match=message):
        read()


def test_lyrics_and_a_video_together_are_refused():
    with pytest.raises(InvalidRequest, match="not several"):
        make_plan(GenerationRequest(lyrics=SONG, video_path="clip.mp4"))


def test_cli_takes_lyrics_from_a_file(tmp_path):
    (tmp_path / "song.txt").write_text(SONG, encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mmgen",
            "generate",
            "--lyrics",
            str(tmp_path / "song.txt"),
            "--out",
            str(tmp_path / "song.mid"),
            "--seed",
            "2",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ, HF_HUB_OFFLINE="1"),
    )
    assert result.returncode == 0, result.stderr
    assert len(pretty_midi.PrettyMIDI(str(tmp_path / "song.mid")).lyrics) > 40


def test_the_report_carries_the_lyric_lines(tmp_path):
    import json

    track = generate(GenerationRequest(lyrics=SONG, duration_s=None, seed=1))
    report = json.loads(track.save_report(tmp_path / "song.json").read_text())
    assert report["plan"]["lyric_lines"][0]["syllables"][:3] == ["I", "walked", "a"]
    assert report["media"]["label"] == "the lyrics"


def test_the_lyrics_examples_parse():
    import json

    examples = json.loads((ROOT / "assets" / "lyrics_examples.json").read_text(encoding="utf-8"))
    for example in examples:
        assert parse_lyrics(example["lyrics"]).lines
