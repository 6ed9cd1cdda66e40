"""The asked key is the key heard: in minor, the harmony itself says which key it is. Loops such
as i bVI bIII bVII are also the relative major's vi IV I V, and key estimators trained on real
recordings hear them there (benchmarks/key_judges.py measures it); the composer's rules keep the
tonic unmistakable: V with the raised leading tone before a loop returns to i, and no sevenths
that hold the relative major's triad."""

import random

import pytest

from mmgen.decoders.composer import Arrangement
from mmgen.decoders.composer.harmony import Chord, parse_roman
from mmgen.decoders.composer.styles import STYLES, composer_style
from mmgen.eval.metrics import estimate_key, key_matches
from mmgen.music import parse_key
from mmgen.pipeline import generate, make_plan
from mmgen.request import GenerationRequest
from mmgen.vocabulary import load_vocabulary

VOCABULARY = load_vocabulary()["styles"]
WORDS = {name: style["words"]["en"][0] for name, style in VOCABULARY.items()}
LOOPED_MINOR = sorted(
    name
    for name, s in STYLES.items()
    if (s.loop or s.progressions) and s.cadence != "bII" and VOCABULARY[name].get("mode") != "major"
)


def arrangement(style: str, key: str = "A minor", seed: int = 2, duration_s: float = 60.0) -> Arrangement:
    plan = make_plan(GenerationRequest(prompt=WORDS[style], key=key, duration_s=duration_s, seed=seed))
    assert plan.style == style and plan.key.name == key
    return Arrangement(plan, composer_style(plan), random.Random(f"composer:{seed}"))


def major_triads(pcs: set[int]) -> set[int]:
    """Roots of the major triads inside a set of pitch classes."""
    return {r for r in pcs if {(r + 4) % 12, (r + 7) % 12} <= pcs}


def test_the_minor_tonic_and_bvii_take_no_seventh_that_names_another_key():
    a_minor = parse_key("A minor").tonic_pc
    tonic = Chord("i", a_minor, "minor", seventh=True)
    assert set(tonic.pitch_classes()) == {9, 0, 4, 11}  # A C E + the ninth B, not G (Am7 holds C major)
    assert not major_triads(set(tonic.pitch_classes()))
    subtonic = parse_roman("bVII", a_minor)
    coloured = Chord(subtonic.label, subtonic.root_pc, subtonic.quality, seventh=True)
    assert 5 not in coloured.pitch_classes()  # G B D + A, not the F of G7, the relative major's V7


@pytest.mark.parametrize("style", LOOPED_MINOR)
def test_a_looped_minor_section_returns_to_i_through_v(style):
    arr = arrangement(style)
    chords = arr.chords_per_bar()
    assert sum(c.label == "i" for c in chords) >= len(chords) // 5, f"{style}: the tonic is rare"
    for bar in [s.start_bar for s in arr.plan.sections[1:] if chords[s.start_bar].label == "i"]:
        before = chords[bar - 1]
        assert before.label in ("i", "V"), (style, bar, [c.label for c in chords])
        if before.label == "V":
            assert before.quality == "major" and (parse_key("A minor").tonic_pc + 11) % 12 == before.third_pc


def test_phrygian_styles_keep_their_colour():
    chords = arrangement("horror", key="G minor").chords_per_bar()
    assert any(c.label == "bII" for c in chords) and chords[-1].label == "bII"


@pytest.mark.parametrize(
    ("prompt", "key"), [("synthwave for a night drive", "A minor"), ("a slow r&b love song", "E minor")]
)
def test_produced_minor_loops_are_heard_in_their_key(prompt, key):
    track = generate(GenerationRequest(prompt=prompt, key=key, duration_s=20.0, seed=1))
    heard, _ = estimate_key(track.audio.samples, track.audio.sample_rate_hz)
    assert key_matches(heard, parse_key(key)), heard.name
