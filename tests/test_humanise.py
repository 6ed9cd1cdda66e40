"""Humanised playing (mmgen/decoders/composer/humanise.py): styles played by people are off the grid
within their feel, with varied velocities, strummed guitars, pedalled pianos and legato lines;
machine styles stay on the grid; the final chord and a video's cuts stay exact; same seed, same
score. Each real composition is compared with the same composition left on the grid."""

from __future__ import annotations

import functools
import io
import tomllib
from itertools import pairwise

import pretty_midi
import pytest

from mmgen import registry
from mmgen.decoders.composer import humanise
from mmgen.pipeline import make_plan
from mmgen.request import GenerationRequest
from mmgen.vocabulary import load_vocabulary

VOCABULARY = load_vocabulary()
MACHINE_STYLES = {n for n, s in VOCABULARY["styles"].items() if s["family"] == "electronic"} | {"trap"}
TOL_MS = 0.05  # float slack of the beat <-> second conversions


@functools.cache
def played(prompt: str, seed: int = 1, duration_s: float = 20.0, cuts_s: str | None = None):
    """(plan, the score on the grid, the humanised score) of one real composition."""
    extra = {"cuts_s": cuts_s} if cuts_s else {}
    plan = make_plan(GenerationRequest(prompt=prompt, duration_s=duration_s, seed=seed, **extra))
    decoder = registry.get("decoder", "composer")
    human = decoder.decode(plan, seed)
    real = humanise.humanise
    humanise.humanise = lambda *args, **kwargs: None
    try:
        grid = decoder.decode(plan, seed)
    finally:
        humanise.humanise = real
    return plan, grid, human


def pairs(grid, human):
    """(part on the grid, humanised part, [(grid note, humanised note)]): the same notes, moved."""
    out = []
    for g, h in zip(grid.parts, human.parts, strict=True):
        assert g.name == h.name and [n.pitch for n in g.notes] == [n.pitch for n in h.notes], g.name
        out.append((g, h, list(zip(g.notes, h.notes, strict=True))))
    return out


def offset_ms(grid, human, a, b) -> float:
    return 1000 * (human.beat_to_s(b.start_beat) - grid.beat_to_s(a.start_beat))


def fixed(plan, beat) -> bool:
    return any(abs(beat - b) < 1e-6 for b in (plan.final_chord_beat, *plan.cut_beats()))


def test_every_style_and_family_has_a_feel():
    with open(humanise.FEEL_PATH, "rb") as f:
        table = tomllib.load(f)
    assert set(table["families"]) == set(VOCABULARY["families"])  # every family, and no stray one
    assert set(table.get("styles", {})) <= set(VOCABULARY["styles"])
    for family in VOCABULARY["families"]:
        assert humanise.family_feel(family).name == family
    for style in VOCABULARY["styles"]:
        feel = humanise.feel_for(style)
        assert feel.human == (style not in MACHINE_STYLES) or style in ("kpop", "reggaeton"), style
        assert "kick" not in feel.push and feel.downbeat_ms <= 3.0
        assert 0 <= feel.spread_ms <= 12 and all(abs(ms) <= 25 for p in feel.push.values() for ms in p.values())
    assert humanise.feel_for("lofi").push_ms("snare", "backbeat", 2) > 10  # laid back
    assert humanise.feel_for("rock").push_ms("hats", "offbeat", None) < 0  # ahead
    assert humanise.feel_for("waltz").push_ms("chords", "backbeat", 2) < 0  # the Viennese early second beat
    with pytest.raises(humanise.FeelError):
        humanise._build("bad", {"push": {"kick": {"all": 5.0}}})


@pytest.mark.parametrize("prompt", ["jazz", "folk song", "pop ballad", "chill lofi hip hop beat"])
def test_people_play_off_the_grid_within_the_feel(prompt):
    plan, grid, human = played(prompt)
    feel = humanise.feel_for(plan.style)
    assert feel.human
    positions = humanise._Grid(grid, plan.pickup_offset_beats, ())
    end_beat = positions.beat_at(human.end_s)
    moved = total = 0
    accents = {"downbeat": [], "offbeat": []}
    for g, h, notes in pairs(grid, human):
        for a, b in notes:
            assert 0 <= b.start_beat < end_beat and b.duration_beats > 0
            if fixed(plan, a.start_beat):
                continue
            if g.name == "chords" and g.program in humanise.GUITARS:
                continue  # strummed: test_guitar_chords_are_strummed
            position, number = positions.position(a.start_beat)
            ms = offset_ms(grid, human, a, b)
            total += 1
            moved += abs(ms) > 0.5
            if position in accents:
                accents[position].append(b.velocity - a.velocity)
            if h.is_drum and a.pitch in humanise.KICKS:
                assert ms == pytest.approx(0, abs=TOL_MS), "the kick stays on the grid"
                continue
            if a.start_beat == 0:  # nothing moves before beat 0
                assert ms >= -TOL_MS
            if position == "downbeat":  # cuts land on downbeats: late by at most a few ms, never early
                assert -TOL_MS <= ms <= feel.downbeat_ms + TOL_MS, (g.name, a.start_beat, ms)
                continue
            target = humanise.DRUM_TARGETS.get(a.pitch, "percussion") if h.is_drum else g.name
            push = feel.push_ms(target, position, number)
            assert abs(ms - push) <= feel.spread_ms + TOL_MS or (a.start_beat == 0 and ms >= 0), (g.name, ms, push)
    assert total > 40 and moved > 0.6 * total  # played, not quantised
    velocities = [b.velocity - a.velocity for _, _, notes in pairs(grid, human) for a, b in notes]
    assert sum(v != 0 for v in velocities) > 0.6 * len(velocities) and max(map(abs, velocities)) <= 20
    mean = lambda xs: sum(xs) / len(xs)
    assert mean(accents["downbeat"]) > mean(accents["offbeat"]) + 2  # strong beats accented


def test_laid_back_snare_in_lofi():
    plan, grid, human = played("chill lofi hip hop beat")
    positions = humanise._Grid(grid, plan.pickup_offset_beats, ())
    drums = next((a, b) for a, b in zip(grid.parts, human.parts) if a.is_drum)
    late = [
        offset_ms(grid, human, a, b)
        for a, b in zip(*(p.notes for p in drums))
        if a.pitch == 38 and positions.position(a.start_beat)[0] == "backbeat"
    ]
    assert late and min(late) > 18 - 7 - TOL_MS and sum(late) / len(late) > 14  # 18 ms behind, give or take


@pytest.mark.parametrize("prompt", ["techno", "trap beat"])
def test_machine_styles_stay_on_the_grid(prompt):
    plan, grid, human = played(prompt)
    feel = humanise.feel_for(plan.style)
    assert not feel.human
    hats_varied = 0
    for _g, h, notes in pairs(grid, human):
        for a, b in notes:
            assert (b.start_beat, b.duration_beats) == (a.start_beat, a.duration_beats)
            steps = (a.start_beat + plan.pickup_offset_beats) * 8  # on the 32nd-note grid
            assert steps == pytest.approx(round(steps), abs=1e-9)
            if h.is_drum and a.pitch in humanise.HATS:
                assert abs(b.velocity - a.velocity) <= feel.hat_velocity + 0.5
                hats_varied += b.velocity != a.velocity
            else:
                assert b.velocity == a.velocity
        assert not h.pedal
    assert hats_varied > 5


@pytest.mark.parametrize("prompt", ["folk song", "bossa nova"])
def test_guitar_chords_are_strummed(prompt):
    plan, grid, human = played(prompt)
    feel = humanise.feel_for(plan.style)
    positions = humanise._Grid(grid, plan.pickup_offset_beats, ())
    g, _h, notes = next(p for p in pairs(grid, human) if p[0].name == "chords")
    assert g.program in humanise.GUITARS
    groups: list[list] = []  # chords as written: together, or spread a little by the composer
    for a, b in sorted(notes, key=lambda ab: ab[0].start_beat):
        if groups and a.start_beat - groups[-1][-1][0].start_beat < 0.04:
            groups[-1].append((a, b))
        else:
            groups.append([(a, b)])
    directions = {"down": 0, "up": 0}
    low, high = feel.strum_ms
    for group in groups:
        if len(group) < 3 or fixed(plan, group[0][0].start_beat):
            continue
        played_notes = sorted((b for _, b in group), key=lambda n: n.start_beat)
        times = [1000 * human.beat_to_s(n.start_beat) for n in played_notes]
        gaps = [t1 - t0 for t0, t1 in pairwise(times)]
        assert all(low - TOL_MS <= gap <= high + TOL_MS for gap in gaps), gaps  # 8-25 ms per string
        pitches = [n.pitch for n in played_notes]
        off_beat = positions.position(group[0][0].start_beat)[0] == "offbeat"
        if off_beat:  # up: high to low
            assert pitches == sorted(pitches, reverse=True), pitches
        else:  # down: low to high
            assert pitches == sorted(pitches), pitches
        directions["up" if off_beat else "down"] += 1
        # each string still ends where it was written to, moved with the chord's shared offset
        end_s = lambda score, n: score.beat_to_s(n.start_beat + n.duration_beats)
        shifts = [end_s(human, b) - end_s(grid, a) for a, b in group]
        assert max(shifts) - min(shifts) < 1e-4 and abs(shifts[0]) < 0.03
    assert directions["down"] >= 3 and directions["up"] >= 3, directions


def test_piano_is_pedalled():
    plan, grid, human = played("gentle solo piano piece")
    feel = humanise.feel_for(plan.style)
    assert feel.pedal
    chords = next(p for p in human.parts if p.name == "chords")
    onsets = sorted({human.beat_to_s(n.start_beat) for n in next(p for p in grid.parts if p.name == "chords").notes})
    assert chords.program in humanise.PIANOS and len(chords.pedal) >= 3
    for (down, up), (next_down, _) in pairwise(chords.pedal):
        assert down < up < next_down  # lifted before it goes down again
        gap_s = human.beat_to_s(next_down) - human.beat_to_s(up)
        assert gap_s == pytest.approx((feel.pedal_down_ms + feel.pedal_up_ms) / 1000, abs=1e-6)
    for down, _ in chords.pedal:  # down just after a chord's attack
        change = max(t for t in onsets if t <= human.beat_to_s(down))
        assert human.beat_to_s(down) - change == pytest.approx(feel.pedal_down_ms / 1000, abs=1e-6)
    assert 0 < chords.pedal[0][0] and human.beat_to_s(chords.pedal[-1][1]) <= human.end_s
    midi = pretty_midi.PrettyMIDI(io.BytesIO(human.to_midi_bytes()))
    piano = next(i for i in midi.instruments if i.name == "chords")
    pedal = [(c.value, c.time) for c in piano.control_changes if c.number == 64]
    assert [v for v, _ in pedal] == [127, 0] * len(chords.pedal)
    assert pedal[0][1] == pytest.approx(human.beat_to_s(chords.pedal[0][0]), abs=2e-3)
    assert not any(c.number == 64 for i in played("techno")[2].to_midi().instruments for c in i.control_changes)


def test_legato_lines_overlap_and_staccato_stays_short():
    plan, grid, human = played("pop ballad")  # the melody on strings, held to the next note
    feel = humanise.feel_for(plan.style)
    g, h, _ = next(p for p in pairs(grid, human) if p[0].name == "melody")
    assert feel.is_legato(g.program)
    legato = 0
    for (a, b), (ha, hb) in zip(pairwise(g.notes), pairwise(h.notes)):
        gap = b.start_beat - a.start_beat
        if 1 <= abs(b.pitch - a.pitch) <= 2 and a.duration_beats >= feel.legato_hold * gap - 1e-6:
            overlap_s = human.beat_to_s(ha.start_beat + ha.duration_beats) - human.beat_to_s(hb.start_beat)
            assert 0 < overlap_s < 0.2, overlap_s
            legato += 1
    assert legato >= 3
    plan, grid, human = played("funny comedy music")  # staccato bassoon: kept short
    g, h, notes = next(p for p in pairs(grid, human) if p[0].name == "melody")
    assert humanise.feel_for(plan.style).is_legato(g.program)
    assert all(b.duration_beats <= a.duration_beats + 1e-9 for a, b in notes)


def test_no_note_is_cut_off_by_its_own_pitch():
    for prompt in ("jazz", "folk song", "pop ballad", "bossa nova"):
        for part in played(prompt)[2].parts:
            by_pitch: dict[int, list] = {}
            for n in part.notes:
                by_pitch.setdefault(n.pitch, []).append(n)
            for notes in by_pitch.values():
                notes.sort(key=lambda n: n.start_beat)
                for a, b in pairwise(notes):
                    if b.start_beat > a.start_beat + 1e-6:
                        assert a.start_beat + a.duration_beats <= b.start_beat + 1e-9, (prompt, part.name)


def test_final_chord_and_cuts_stay_exact():
    for plan, grid, human in (played("jazz"), played("folk song", seed=2, duration_s=16, cuts_s="3.1, 7.3, 11.9")):
        anchored = 0
        for _, _, notes in pairs(grid, human):
            for a, b in notes:
                if fixed(plan, a.start_beat):
                    assert b.start_beat == a.start_beat
                    anchored += 1
        assert max(n.start_beat for p in human.parts for n in p.notes) == plan.final_chord_beat
        assert anchored >= 3 + 2 * len(plan.cut_beats())
    assert len(plan.cut_beats()) == 3


def test_same_seed_same_playing():
    def signature(score):
        return [
            (p.name, n.pitch, n.start_beat, n.duration_beats, n.velocity, tuple(p.pedal))
            for p in score.parts
            for n in p.notes
        ]

    plan = make_plan(GenerationRequest(prompt="folk song", duration_s=20, seed=1))
    decoder = registry.get("decoder", "composer")
    first = signature(decoder.decode(plan, 1))
    assert first == signature(decoder.decode(plan, 1)) == signature(played("folk song")[2])
    assert first != signature(decoder.decode(plan, 2))
