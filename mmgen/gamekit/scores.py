"""The scores of a game kit's segments and stingers, cut from or written for one loop's score.

A segment is one section of the plan: the notes that start in its bars, moved to start at beat
0, so it can be played on its own and re-sequenced; what they hold past its last bar line rings
into the segment's tail. Stingers are short cues in the piece's key, tempo and instruments: a
*hit* (one bar: the tonic chord struck with a crash, left to ring) and a *rise* (two bars: a
roll and a climbing line over the dominant that land on the tonic at the next downbeat).
"""

from __future__ import annotations

from dataclasses import replace

from ..music import Key, Meter, chord_pitch_classes, nearest_pitch
from ..plan.data import MusicPlan, Section
from ..tokens import NoteEvent, Part, ScoreTokens

EARLY_BEATS = 0.1  # a note played this far ahead of a section's downbeat belongs to that section
KICK, SNARE, CRASH = 36, 38, 49


def section_score(score: ScoreTokens, plan: MusicPlan, section: Section, tail_s: float) -> ScoreTokens:
    """The section's notes alone, beat 0 on its first downbeat; it lasts its bars plus `tail_s`."""
    start = plan.bar_start_beat(section.start_bar)
    end = plan.bar_start_beat(section.start_bar + section.bars)

    def moved(notes: list[NoteEvent]) -> list[NoteEvent]:
        kept = [n for n in notes if start - EARLY_BEATS <= n.start_beat < end - EARLY_BEATS]
        return [
            replace(
                n,
                start_beat=max(0.0, n.start_beat - start),
                duration_beats=n.duration_beats - max(0.0, start - n.start_beat),
            )
            for n in kept
        ]

    parts = [
        replace(
            p,
            notes=moved(p.notes),
            pedal=[(max(0.0, a - start), b - start) for a, b in p.pedal if b > start and a < end],
        )
        for p in score.parts
    ]
    length_s = (end - start) * 60.0 / score.tempo_bpm
    return replace(score, parts=parts, start_s=0.0, end_s=length_s + tail_s, tempo_pins=[], lyrics=[], loop=False)


def _programs(score: ScoreTokens) -> dict[str, Part]:
    return {p.name: p for p in score.parts}


def _stinger(score: ScoreTokens, parts: dict[str, list[tuple[int, float, float, int]]], beats: float, tail_s: float):
    """A score of the track's own parts (same programs, so the studio voices them alike) playing
    `parts[role]` = [(pitch, start_beat, beats, velocity)]; roles the track lacks are left out."""
    own = _programs(score)
    written = []
    for role, notes in parts.items():
        if role in own and notes:
            part = replace(own[role], notes=[], pedal=[])
            for pitch, start, length, velocity in notes:
                part.add(pitch, start, length, velocity)
            written.append(part)
    return replace(
        score,
        parts=written,
        start_s=0.0,
        end_s=beats * 60.0 / score.tempo_bpm + tail_s,
        tempo_pins=[],
        lyrics=[],
        loop=False,
    )


def _triad(root_pc: int, quality: str, around: float) -> list[int]:
    return sorted(nearest_pitch(pc, around) for pc in chord_pitch_classes(root_pc, quality))


def hit_score(score: ScoreTokens, key: Key, meter: Meter, tail_s: float) -> ScoreTokens:
    """One bar: the tonic chord, its root in the bass and the melody's register, kick and crash."""
    bar = float(meter.beats_per_bar)
    tonic = key.tonic_pc
    chord = [(p, 0.0, bar, 112) for p in _triad(tonic, key.mode, 62)]
    parts = {
        "chords": chord,
        "pad": chord,
        "bass": [(nearest_pitch(tonic, 38), 0.0, bar, 118)],
        "melody": [(nearest_pitch(tonic, 74), 0.0, bar, 110)],
        "drums": [(KICK, 0.0, 0.5, 124), (CRASH, 0.0, bar, 120)],
    }
    return _stinger(score, parts, bar, tail_s)


def rise_score(score: ScoreTokens, key: Key, meter: Meter, tail_s: float) -> ScoreTokens:
    """Two bars that build over the dominant and land, on beat 2 bars in, on the tonic chord with
    a crash: started two bars before a downbeat, it lands on that downbeat."""
    bar = float(meter.beats_per_bar)
    landing = 2 * bar
    tonic, dominant = key.tonic_pc, (key.tonic_pc + 7) % 12
    step = 1.0 / meter.subdivisions
    roll = [b * step for b in range(int(bar / step))] + [bar + b * step / 2 for b in range(int(2 * bar / step))]
    snare = [(SNARE, t, step / 2, int(45 + 75 * t / landing)) for t in roll]
    scale = key.scale_pcs()
    climb_times = [float(b) for b in range(int(bar))] + [bar + b * 0.5 for b in range(int(2 * bar))]
    top = nearest_pitch(tonic, 74)
    line, pitch = [], top
    for _ in climb_times:  # walk down the scale from the landing note, then play it upwards
        pitch -= 1
        while pitch % 12 not in scale:
            pitch -= 1
        line.append(pitch)
    melody = [
        (p, t, 0.45 if t >= bar else 0.9, int(70 + 40 * t / landing)) for p, t in zip(reversed(line), climb_times)
    ]
    tonic_chord = _triad(tonic, key.mode, 62)
    parts = {
        "chords": [(p, bar, bar, 90) for p in _triad(dominant, "major", 62)]
        + [(p, landing, bar, 115) for p in tonic_chord],
        "pad": [(p, 0.0, landing, 80) for p in _triad(dominant, "major", 62)]
        + [(p, landing, bar, 110) for p in tonic_chord],
        "bass": [(nearest_pitch(dominant, 38), 0.0, landing, 100), (nearest_pitch(tonic, 38), landing, bar, 120)],
        "melody": melody + [(top, landing, bar, 115)],
        "drums": snare + [(KICK, landing, 0.5, 124), (CRASH, landing, bar, 122)],
    }
    return _stinger(score, parts, landing + bar, tail_s)
