"""Melody from motifs: a one-bar motif (rhythm + contour in scale steps) is stated, sequenced
over the next chord, varied, and closed by a cadence figure. Strong beats land on chord tones;
the line stays in its register by turning back at the edges."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

from ...music import Key, Meter
from ...tokens import Part
from .harmony import Chord

# Beat figures (onset, duration) in fractions of a counted beat, by how busy they are.
SIMPLE_FIGURES = {
    "rest": [],
    "quarter": [(0, 1.0)],
    "eighths": [(0, 0.5), (0.5, 0.5)],
    "dotted": [(0, 0.75), (0.75, 0.25)],
    "sixteenths": [(0, 0.25), (0.25, 0.25), (0.5, 0.5)],
    "late": [(0.5, 0.5)],
}
COMPOUND_FIGURES = {
    "rest": [],
    "quarter": [(0, 1.0)],
    "eighths": [(0, 2 / 3), (2 / 3, 1 / 3)],
    "dotted": [(0, 1 / 3), (1 / 3, 2 / 3)],
    "sixteenths": [(0, 1 / 3), (1 / 3, 1 / 3), (2 / 3, 1 / 3)],
    "late": [(1 / 3, 2 / 3)],
}


@dataclass(frozen=True)
class Motif:
    rhythm: tuple[tuple[float, float], ...]  # (onset, duration) in beats within one bar
    steps: tuple[int, ...]  # scale steps from each note to the next; len(rhythm) - 1


class MelodyWriter:
    def __init__(
        self,
        key: Key,
        meter: Meter,
        center: int,
        density: float,
        staccato: float,
        rng: random.Random,
        scale: tuple[int, ...] | None = None,
    ) -> None:
        """`scale`: semitones above the tonic the melody steps through (default: the key's scale)."""
        self.key, self.meter, self.center, self.density = key, meter, center, density
        self.staccato, self.rng = staccato, rng
        pcs = {(key.tonic_pc + step) % 12 for step in scale} if scale else set(key.scale_pcs())
        self.scale = [p for p in range(36, 100) if p % 12 in pcs]
        self.last_pitch = center

    # ---- motifs --------------------------------------------------------------------------

    def make_motif(self, density: float | None = None) -> Motif:
        d = self.density if density is None else density
        figures = COMPOUND_FIGURES if self.meter.is_compound else SIMPLE_FIGURES
        weights = {
            "rest": 1.5 - d,
            "quarter": 2.0 - d,
            "eighths": 0.5 + 3 * d,
            "dotted": 0.3 + 1.5 * d,
            "sixteenths": max(0.0, 2.5 * d - 1.0),
            "late": 0.6,
        }
        rhythm: list[tuple[float, float]] = []
        beat = 0
        while beat < self.meter.beats_per_bar:
            left = self.meter.beats_per_bar - beat
            if beat == 0 or (left >= 2 and self.rng.random() < 0.35 * (1 - d)):
                # A strong start: a note on the downbeat, sometimes held over two beats.
                length = 2.0 if left >= 2 and self.rng.random() < 0.5 * (1 - d) else 1.0
                if beat == 0 and self.rng.random() < 0.5 * d:
                    rhythm += [(0, 0.5), (0.5, 0.5)] if not self.meter.is_compound else [(0, 2 / 3), (2 / 3, 1 / 3)]
                    beat += 1
                    continue
                rhythm.append((beat, length))
                beat += int(length)
                continue
            name = self.rng.choices(list(weights), list(weights.values()))[0]
            rhythm += [(beat + o, dur) for o, dur in figures[name]]
            beat += 1
        contour = self.rng.choice([(1, 1, -1), (-1, -1, 2), (2, -1, -1), (1, -2, 1), (-2, 1, 1), (0, 1, 1)])
        steps = tuple(
            contour[i % len(contour)] * (1 if self.rng.random() < 0.8 else 2) for i in range(max(0, len(rhythm) - 1))
        )
        return Motif(tuple(rhythm), steps)

    def vary(self, motif: Motif) -> Motif:
        """Same rhythm, new ending: the last steps turn the other way (question -> answer)."""
        steps = list(motif.steps)
        for i in range(max(0, len(steps) - 2), len(steps)):
            steps[i] = -steps[i] if steps[i] else self.rng.choice((-1, 1))
        return replace(motif, steps=tuple(steps))

    # ---- realisation ---------------------------------------------------------------------

    def _nearest_chord_tone(self, pitch: int, chord: Chord) -> int:
        candidates = [p for p in range(pitch - 7, pitch + 8) if p % 12 in chord.pitch_classes()[:3]]
        return min(candidates, key=lambda p: (abs(p - pitch), p))

    def _step(self, pitch: int, steps: int) -> int:
        index = min(range(len(self.scale)), key=lambda i: abs(self.scale[i] - pitch))
        target = self.scale[max(0, min(len(self.scale) - 1, index + steps))]
        if target > self.center + 9 or target < self.center - 9:  # turn back inside the register
            target = self.scale[max(0, min(len(self.scale) - 1, index - steps))]
        return target

    def play_bar(
        self,
        track: Part,
        motif: Motif,
        chord: Chord,
        bar_beat: float,
        velocity: float,
        skip_before: float = 0.0,
        leading_tone: int | None = None,
    ) -> None:
        pitch = self._nearest_chord_tone(self.last_pitch, chord)
        for i, (onset, duration) in enumerate(motif.rhythm):
            if i > 0:
                pitch = self._step(pitch, motif.steps[i - 1])
            if onset == int(onset) and int(onset) % 2 == 0:
                pitch = self._nearest_chord_tone(pitch, chord)  # strong beats sit on the harmony
            if leading_tone is not None and pitch % 12 == (leading_tone - 1) % 12:
                pitch += 1  # minor mode over V: raise the seventh degree
            start = bar_beat + onset
            accent = 1.08 if onset == 0 else (1.0 if onset == int(onset) else 0.9)
            if start >= skip_before:
                track.add(pitch, start, duration * self.staccato, velocity * accent + self.rng.uniform(-4, 4))
            self.last_pitch = pitch

    def cadence_bar(
        self, track: Part, chord: Chord, bar_beat: float, velocity: float, final: bool, skip_before: float = 0.0
    ) -> None:
        """Close a phrase: a short approach, then a long chord tone (the tonic when final)."""
        target_pc = self.key.tonic_pc if final else self.rng.choice(chord.pitch_classes()[:3])
        target = min((p for p in range(36, 100) if p % 12 == target_pc), key=lambda p: abs(p - self.last_pitch))
        approach = self._step(target, 1 if self.rng.random() < 0.5 else -1)
        bpb = self.meter.beats_per_bar
        if bar_beat >= skip_before:
            track.add(approach, bar_beat, 0.9 * self.staccato, velocity)
        hold = bpb - 1 - (0.5 if bpb > 2 else 0)
        if bar_beat + 1 >= skip_before:
            track.add(target, bar_beat + 1, hold, velocity * 1.05)
        self.last_pitch = target

    def final_note(self, track: Part, beat: float, duration: float, velocity: float) -> None:
        tonic = min((p for p in self.scale if p % 12 == self.key.tonic_pc), key=lambda p: abs(p - self.last_pitch))
        track.add(tonic, beat, duration, velocity)
