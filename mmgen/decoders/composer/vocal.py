"""Setting a lyric line to melody: one note per syllable, stressed syllables on strong beats.

Rhythm: the syllables are placed on the line's eighth-note slots by dynamic programming, scoring
each placement by how the syllable's stress meets the slot's metric strength, preferring even,
speakable spacing and a long last note before a breath. Pitch: an arch over the line, in steps of
the scale, landing on chord tones on strong beats and on a stable chord tone at the line's end.
"""

from __future__ import annotations

from ...music import Meter
from ...tokens import Part
from .harmony import Chord
from .melody import MelodyWriter

BREATH_SLOTS = 1  # the last slot of a line is left for a breath


def slot_strength(slot: int, sub: int, beats_per_bar: int) -> int:
    """3 on the downbeat, 2 on other strong beats (beat 3 of 4/4), 1 on beats, 0 between."""
    if slot % sub:
        return 0
    beat = (slot // sub) % beats_per_bar
    if beat == 0:
        return 3
    return 2 if beats_per_bar % 2 == 0 and beat == beats_per_bar // 2 else 1


def place_syllables(stresses: list[bool], slots: int, sub: int, beats_per_bar: int) -> list[int]:
    """Increasing slot indices for the syllables (len(stresses) <= slots - BREATH_SLOTS)."""
    n, usable = len(stresses), slots - BREATH_SLOTS
    strength = [slot_strength(k, sub, beats_per_bar) for k in range(usable)]

    def fit(i: int, k: int) -> float:
        s = strength[k]
        if stresses[i]:
            return {3: 3.0, 2: 2.2, 1: 1.0, 0: -1.5}[s]
        return {3: -1.2, 2: -0.4, 1: 0.2, 0: 0.3}[s]

    NEG = -1e9
    best = [[NEG] * usable for _ in range(n)]
    back = [[-1] * usable for _ in range(n)]
    for k in range(usable):
        best[0][k] = fit(0, k) - 0.4 * max(0, k - sub)  # start near the line's start
    for i in range(1, n):
        for k in range(i, usable - (n - 1 - i)):
            for j in range(i - 1, k):
                if best[i - 1][j] == NEG:
                    continue
                gap = k - j
                score = (
                    best[i - 1][j]
                    + fit(i, k)
                    - 0.35 * max(0, gap - 2 * sub)
                    - (0.6 if gap == 1 and sub == 2 and k % 2 == 0 and j % 2 == 1 else 0)
                )
                if score > best[i][k]:
                    best[i][k], back[i][k] = score, j
    # The last syllable wants room to hold: reward landing before the final beat.
    last = max(range(usable), key=lambda k: best[n - 1][k] + (0.8 if strength[k] >= 2 else 0.0))
    positions = [last]
    for i in range(n - 1, 0, -1):
        positions.append(back[i][positions[-1]])
    return positions[::-1]


def sing_line(
    track: Part,
    syllables,
    start_beat: float,
    bars: int,
    meter: Meter,
    chords: list[Chord],
    writer: MelodyWriter,
    velocity: float,
    closing: bool,
) -> list[tuple[float, str]]:
    """Write one line on `track` from `start_beat`; return its lyric events (beat, text).
    chords: the chord of each of the line's bars. closing: the last line of a section."""
    bpb = meter.beats_per_bar
    sub = 3 if meter.is_compound else 2
    slots = bars * bpb * sub
    positions = place_syllables([s.stressed for s in syllables], slots, sub, bpb)
    onsets = [start_beat + k / sub for k in positions]
    end = start_beat + (slots - BREATH_SLOTS) / sub
    n = len(syllables)
    pitch = writer._nearest_chord_tone(writer.last_pitch, chords[0])
    events = []
    for i, (syllable, onset) in enumerate(zip(syllables, onsets)):
        chord = chords[min(bars - 1, int((onset - start_beat) // bpb))]
        strong = slot_strength(positions[i], sub, bpb) >= 2
        if i > 0:
            rising = i < n * 0.55  # an arch: up through the first half, down to the end
            pitch = writer._step(pitch, (1 if rising else -1) * (2 if strong and writer.rng.random() < 0.3 else 1))
        if strong:
            pitch = writer._nearest_chord_tone(pitch, chord)
        if i == n - 1:
            target = chord.root_pc if closing else writer.rng.choice(chord.pitch_classes()[:3])
            pitch = min((p for p in range(pitch - 7, pitch + 8) if p % 12 == target), key=lambda p: abs(p - pitch))
        duration = (onsets[i + 1] if i + 1 < n else end) - onset
        accent = 1.1 if syllable.stressed else 0.92
        track.add(pitch, onset, max(0.2, duration * 0.95), velocity * accent)
        joined = i + 1 < n and not syllables[i + 1].word_start
        events.append((onset, syllable.text + ("-" if joined else "")))
        writer.last_pitch = pitch
    return events
