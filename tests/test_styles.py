"""Every style is itself: named by its own words it is planned, its tempo is in its range, and the
score the composer writes holds its instruments and its groove. Styles of one family that a
listener could confuse differ in something measurable: the instruments, the drum pattern or the
harmony."""

import itertools
import random

import pytest

from mmgen.decoders.composer import Arrangement, grooves, parts
from mmgen.decoders.composer.styles import STYLES, composer_style
from mmgen.pipeline import make_plan
from mmgen.request import GenerationRequest
from mmgen.vocabulary import load_vocabulary

VOCABULARY = load_vocabulary()
STYLE_NAMES = sorted(VOCABULARY["styles"])


def score_of(style: str, seed: int = 3):
    word = VOCABULARY["styles"][style]["words"]["en"][0]
    plan = make_plan(GenerationRequest(prompt=word, duration_s=24.0, seed=seed))
    return plan, Arrangement(plan, composer_style(plan), random.Random(f"composer:{seed}")).write()


def drum_pattern(score, plan) -> frozenset:
    """(drum, sixteenth step) of the drum hits in the middle bars (intro and ending left out)."""
    bpb = plan.meter.beats_per_bar
    hits = set()
    for part in score.parts:
        if part.is_drum:
            for note in part.notes:
                bar = int((note.start_beat + plan.pickup_offset_beats) // bpb)
                if 2 <= bar < plan.total_bars - 1:
                    hits.add((note.pitch, round((note.start_beat % bpb) * 4)))
    return frozenset(hits)


def test_there_are_forty_styles_and_twenty_moods():
    assert len(VOCABULARY["styles"]) >= 40 and len(VOCABULARY["moods"]) >= 20
    for mood in VOCABULARY["moods"].values():
        assert -1 <= mood["valence"] <= 1 and 0 <= mood["arousal"] <= 1


def test_every_style_names_known_patterns():
    for name, style in STYLES.items():
        assert style.groove is None or style.groove in grooves.GROOVES, name
        assert style.bass in parts.BASS_PATTERNS or style.bass in (
            "pulse8",
            "octave8",
            "ostinato",
            "walking",
            "waltz",
        ), name
        assert style.comp in parts.COMP_PATTERNS or style.comp in (  # the patterns written as code
            "block_pulse",
            "power",
            "oompah",
            "piano_arpeggio",
            "harp_arpeggio",
            "chip_arpeggio",
            "piano_eighths",
        ), name


def test_every_style_has_words_in_every_language():
    for name, style in VOCABULARY["styles"].items():
        assert style["words"].get("en"), name
    languages = set(VOCABULARY["languages"])
    covered = {language for style in VOCABULARY["styles"].values() for language in style["words"]}
    assert covered == languages


@pytest.mark.parametrize("style", STYLE_NAMES)
def test_every_style_renders_itself(style):
    plan, score = score_of(style)
    entry = VOCABULARY["styles"][style]
    assert plan.style == style, plan.reasons["style"]
    low, high = entry["tempo"]
    tempo = plan.tempo_bpm * (1.5 if plan.meter.is_compound else 1.0)
    assert low * 0.95 <= tempo <= high * 1.05  # the grid bends the tempo a little to fill whole bars
    played = {part.name: part.program for part in score.parts if part.notes}
    for role, program in entry["instruments"].items():
        if role in ("timpani", "ostinato", "pad"):  # these join only at high energy
            continue
        if role == "drums" and not entry.get("groove"):
            continue
        assert played.get(role) == program or (role == "drums" and role in played), (style, role, played)
    if entry.get("groove"):
        groove_drums = set(grooves.GROOVES[entry["groove"]]["low"]) | set(grooves.GROOVES[entry["groove"]]["mid"])
        if plan.meter.name == "4/4":
            assert {pitch for pitch, _ in drum_pattern(score, plan)} & groove_drums, style
    else:
        assert "drums" not in played


def _signature(style: str):
    plan, score = score_of(style)
    entry = VOCABULARY["styles"][style]
    instruments = tuple(sorted(entry["instruments"].items()))
    harmony = (entry["harmony"], str(entry.get("progressions")), str(entry.get("scale")), entry.get("cadence"))
    return instruments, drum_pattern(score, plan), harmony, (entry["bass"], entry["comp"])


@pytest.mark.parametrize("family", sorted({s["family"] for s in VOCABULARY["styles"].values()}))
def test_styles_of_one_family_differ(family):
    members = [n for n in STYLE_NAMES if VOCABULARY["styles"][n]["family"] == family]
    signatures = {n: _signature(n) for n in members}
    for a, b in itertools.combinations(members, 2):
        (inst_a, drums_a, harm_a, pat_a), (inst_b, drums_b, harm_b, pat_b) = signatures[a], signatures[b]
        differences = (inst_a != inst_b) + (drums_a != drums_b) + (harm_a != harm_b) + (pat_a != pat_b)
        assert differences >= 2, (a, b)  # two of: instruments, drum pattern, harmony, bass/comp patterns


def test_a_mood_changes_register_density_and_drums():
    calm, energetic = (
        make_plan(GenerationRequest(prompt="tender lofi", seed=1)),
        make_plan(GenerationRequest(prompt="happy energetic lofi", seed=1)),
    )
    assert calm.register_shift < energetic.register_shift
    assert calm.density_shift < energetic.density_shift
    assert calm.drum_level_cap < energetic.drum_level_cap
    assert calm.tempo_bpm < energetic.tempo_bpm
    sad, happy = (
        make_plan(GenerationRequest(prompt="sad folk", seed=1)),
        make_plan(GenerationRequest(prompt="happy folk", seed=1)),
    )
    assert sad.key.mode == "minor" and happy.key.mode == "major"
