"""The composer's scores: exact length, a composed ending, determinism, variety, real styles."""

import numpy as np
import pytest

from mmgen import registry
from mmgen.pipeline import make_plan
from mmgen.request import GenerationRequest

STYLE_PROMPTS = {
    "lofi": "chill lofi hip hop beat",
    "waltz": "an elegant waltz",
    "trailer": "epic orchestral trailer",
    "piano": "gentle solo piano piece",
    "dnb": "drum and bass",
}


def compose(prompt, duration_s=30.0, seed=0, **overrides):
    plan = make_plan(GenerationRequest(prompt=prompt, duration_s=duration_s, seed=seed, **overrides))
    return plan, registry.get("decoder", "composer").decode(plan, seed)


def signature(score):
    return [
        (p.name, n.pitch, round(n.start_beat, 4), round(n.duration_beats, 4), n.velocity)
        for p in score.parts
        for n in p.notes
    ]


def test_same_seed_same_score():
    assert signature(compose("lofi beat", seed=3)[1]) == signature(compose("lofi beat", seed=3)[1])


def test_different_seeds_different_scores():
    a, b = compose("lofi beat", seed=1)[1], compose("lofi beat", seed=2)[1]
    melody = lambda s: [n.pitch for p in s.parts if p.name == "melody" for n in p.notes]
    assert melody(a) != melody(b)


@pytest.mark.parametrize("duration_s", [5, 9.5, 47.2, 600])
@pytest.mark.parametrize("prompt", list(STYLE_PROMPTS.values()))
def test_every_length_is_honoured_and_ends_on_the_tonic(prompt, duration_s):
    plan, score = compose(prompt, duration_s)
    assert score.end_s == duration_s
    notes = [(n, p) for p in score.parts for n in p.notes]
    assert min(n.start_beat for n, _ in notes) >= 0
    final_beat = plan.final_chord_beat
    assert max(n.start_beat for n, _ in notes) == pytest.approx(final_beat)
    # The last chord is the tonic triad, and it is still sounding when the music reaches its end.
    final_pcs = {n.pitch % 12 for n, p in notes if abs(n.start_beat - final_beat) < 1e-6 and not p.is_drum}
    tonic = plan.key.tonic_pc
    third = (tonic + (4 if plan.key.mode == "major" else 3)) % 12
    colours = {(tonic + 9) % 12, (tonic + 10) % 12, (tonic + 11) % 12}  # added sixth or seventh
    assert tonic in final_pcs and final_pcs <= {tonic, third, (tonic + 7) % 12} | colours
    ring_end = max(
        score.beat_to_s(n.start_beat + n.duration_beats) for n, _ in notes if abs(n.start_beat - final_beat) < 1e-6
    )
    assert ring_end > plan.final_chord_s + 0.5 * plan.ring_s


def test_notes_stay_in_key():
    for prompt in STYLE_PROMPTS.values():
        plan, score = compose(prompt, 60, key="E minor")
        scale = set(plan.key.scale_pcs()) | {(plan.key.tonic_pc + 11) % 12}  # harmonic minor's leading tone
        pitched = [n.pitch % 12 for p in score.parts if not p.is_drum for n in p.notes]
        assert np.mean([pc in scale for pc in pitched]) > 0.9, prompt


def test_meter_is_kept():
    _plan, score = compose("folk song", 30, meter="6/8")
    assert score.meter == "6/8" and score.quarters_per_beat == 1.5
    midi = score.to_midi()
    assert (midi.time_signature_changes[0].numerator, midi.time_signature_changes[0].denominator) == (6, 8)


def _features(score):
    drums = {n.pitch for p in score.parts if p.is_drum for n in p.notes}
    programs = {(p.name, p.program) for p in score.parts if not p.is_drum}
    pitched = [n for p in score.parts if not p.is_drum for n in p.notes]
    density = len(pitched) / max(1e-9, score.beat_to_s(max(n.start_beat for n in pitched)))
    return drums, programs, density, score.tempo_bpm, score.meter


def test_styles_are_not_one_template():
    features = {style: _features(compose(prompt, 30)[1]) for style, prompt in STYLE_PROMPTS.items()}
    styles = list(features)
    for i, a in enumerate(styles):
        for b in styles[i + 1 :]:
            fa, fb = features[a], features[b]
            differences = [
                fa[0] != fb[0],
                fa[1] != fb[1],
                abs(fa[2] - fb[2]) / max(fa[2], fb[2]) > 0.2,
                abs(fa[3] - fb[3]) / max(fa[3], fb[3]) > 0.1,
                fa[4] != fb[4],
            ]
            assert sum(differences) >= 3, (a, b, differences)
    assert not features["piano"][0] and not features["waltz"][0]  # no drum kit
    assert features["waltz"][4] == "3/4"
    assert {p for _, p in features["piano"][1]} == {0}


def test_melody_repeats_its_motifs():
    """Repeated sections reuse material: the melody's bar rhythms recur rather than being all new."""
    plan, score = compose("upbeat pop song", 90, seed=5)
    melody = next(p for p in score.parts if p.name == "melody")
    bpb = plan.meter.beats_per_bar
    bars = {}
    for n in melody.notes:
        bar = int((n.start_beat + plan.pickup_offset_beats) // bpb)
        # On the written grid (twelfths of a beat): the humanised playing moves notes by a few ms.
        bars.setdefault(bar, []).append(round((n.start_beat + plan.pickup_offset_beats) % bpb * 12) / 12)
    rhythms = [tuple(v) for v in bars.values() if len(v) > 1]
    assert len(set(rhythms)) < 0.6 * len(rhythms)
