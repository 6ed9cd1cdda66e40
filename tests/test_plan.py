"""The plan: explicit cues and overrides win, implicit prompts land on sensible choices, and the
timeline fills the requested duration exactly."""

import pytest

from mmgen.pipeline import make_plan
from mmgen.request import GenerationRequest


def plan(prompt="", duration_s=30.0, seed=0, **overrides):
    return make_plan(GenerationRequest(prompt=prompt, duration_s=duration_s, seed=seed, **overrides))


def test_explicit_cues_in_the_prompt():
    p = plan("a dark synth piece in D minor at 96 bpm, 3/4")
    assert p.key.name == "D minor"
    assert p.tempo_bpm == 96.0
    assert p.meter.name == "3/4"
    assert "you wrote" in p.reasons["tempo"] and "you wrote" in p.reasons["key"]


@pytest.mark.parametrize(
    "prompt, key",
    [
        ("waltz in B flat major", "Bb major"),
        ("ballad in F# minor", "F# minor"),
        ("piano in Eb", "Eb major"),
        ("something in C minor please", "C minor"),
    ],
)
def test_key_cues(prompt, key):
    assert plan(prompt).key.name == key


def test_waltz_means_three_four():
    p = plan("an elegant waltz")
    assert p.meter.name == "3/4" and p.style == "waltz"


def test_overrides_beat_the_prompt():
    p = plan("lofi beat in D minor at 96 bpm", tempo_bpm=120, key="A major", meter="6/8")
    assert (p.tempo_bpm, p.key.name, p.meter.name) == (120.0, "A major", "6/8")
    assert p.reasons["tempo"] == p.reasons["key"] == p.reasons["meter"] == "you chose it"


@pytest.mark.parametrize(
    "prompt, low, high",
    [
        ("calm meditation music for a yoga video", 30, 80),
        ("slow sad piano", 30, 85),
        ("high energy workout music for the gym", 118, 300),
        ("fast drum and bass", 160, 300),
    ],
)
def test_implicit_tempo_is_sensible(prompt, low, high):
    assert low <= plan(prompt).tempo_bpm <= high


@pytest.mark.parametrize(
    "prompt, style",
    [
        ("chill lofi hip hop to study to", "lofi"),
        ("epic orchestral movie trailer", "trailer"),
        ("jazz club with saxophone", "jazz"),
        ("8-bit retro video game", "chiptune"),
        ("relaxing meditation soundscape", "ambient"),
        ("drum and bass", "dnb"),
        ("music for my cooking video", "bossa"),
        ("gentle solo piano piece", "piano"),
    ],
)
def test_style_reading(prompt, style):
    assert plan(prompt).style == style


def test_dark_prompts_are_minor_and_happy_major():
    assert plan("dark ominous horror scene").key.mode == "minor"
    assert plan("happy sunny kids cartoon").key.mode == "major"


def test_requested_instruments_are_used():
    p = plan("lofi beat with flute and harp")
    assert p.instruments["melody"] == 73 and p.instruments["chords"] == 46
    assert p.instrument_names == ["flute", "harp"]


def test_empty_prompt_plans_from_controls_alone():
    p = plan("", tempo_bpm=100, key="G major")
    assert p.style == "pop" and p.tempo_bpm == 100 and p.key.name == "G major"
    assert "no description" in p.reasons["style"]


@pytest.mark.parametrize("duration_s", [5, 7.3, 12, 30, 61.7, 180, 600])
@pytest.mark.parametrize(
    "prompt, overrides",
    [
        ("lofi beat", {}),
        ("waltz", {}),
        ("ambient", {"tempo_bpm": 31}),
        ("rock", {"tempo_bpm": 299}),
        ("folk", {"meter": "6/8"}),
        ("pop", {"meter": "5/4", "tempo_bpm": 97}),
    ],
)
def test_timeline_fills_the_duration_exactly(duration_s, prompt, overrides):
    p = plan(prompt, duration_s=duration_s, **overrides)
    assert sum(s.bars for s in p.sections) == p.total_bars
    assert [s.start_bar for s in p.sections] == [sum(s.bars for s in p.sections[:i]) for i in range(len(p.sections))]
    assert p.final_chord_s + p.ring_s == pytest.approx(duration_s, abs=1e-9)
    assert 0 <= p.pickup_offset_beats < p.meter.beats_per_bar
    assert p.ring_s >= min(1.5, 0.3 * duration_s) - 1e-9
    if "tempo_bpm" in overrides:
        assert p.tempo_bpm == overrides["tempo_bpm"]


def test_long_pieces_have_a_form():
    p = plan("upbeat pop song", duration_s=180)
    names = [s.name for s in p.sections]
    assert names[0] == "Intro" and names[-1] == "Outro"
    assert {"A", "B"} <= set(names)
    energies = [e for _, e in p.energy_curve()]
    assert max(energies) > energies[0]  # the music rises from its intro


def test_plan_explains_itself():
    text = plan("sad piano in C minor").explain()
    for word in ("Style", "Tempo", "Key", "C minor", "Form", "ending at exactly 30 s"):
        assert word in text
