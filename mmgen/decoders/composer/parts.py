"""Bass lines, accompaniment and pads, one bar at a time.

Patterns are lists of (offset_beats, duration_beats, what) within a bar; offsets at or past the
bar's length are dropped, so 4-beat patterns also serve shorter bars. Pitches follow the current
chord; voicings move to the nearest inversion so chords connect smoothly.
"""

from __future__ import annotations

import random

from ...music import Meter, nearest_pitch
from ...tokens import Part
from .harmony import Chord

BASS_PATTERNS: dict[str, list[tuple[float, float, str]]] = {
    "lofi": [(0, 1.5, "root"), (2.5, 0.75, "fifth"), (3.5, 0.5, "approach")],
    "offbeat": [(b + 0.5, 0.35, "root" if b % 2 == 0 else "octave") for b in range(4)],
    "sub": [(0, 2.3, "root"), (2.5, 1.4, "root")],
    "hiphop": [(0, 1.5, "root"), (1.75, 0.5, "root"), (2.5, 1.2, "fifth")],
    "waltz": [(0, 0.9, "root")],
    "root_fifth": [(0, 1.8, "root"), (2, 1.8, "fifth")],
    "funk": [
        (0, 0.4, "root"),
        (0.75, 0.2, "octave"),
        (1.5, 0.25, "root"),
        (2.5, 0.4, "seventh"),
        (3.25, 0.2, "octave"),
        (3.5, 0.4, "approach"),
    ],
    "bossa": [(0, 1.4, "root"), (2, 1.4, "fifth"), (3.5, 0.45, "approach")],
    "drone": [(0, 4.0, "root")],
    "none": [],
    "rumble": [(b + s / 4, 0.2, "root") for b in range(4) for s in (1, 2, 3)],  # techno: the 16ths between kicks
    "gallop": [(b + s / 4, 0.2, "root") for b in range(4) for s in (2, 3)],  # trance
    "wobble": [
        (0, 1.4, "root"),
        (1.5, 0.2, "root"),
        (1.75, 0.2, "octave"),
        (2, 0.9, "root"),
        (3, 0.2, "fifth"),
        (3.25, 0.2, "root"),
        (3.5, 0.4, "octave"),
    ],
    "808": [(0, 1.4, "root"), (1.5, 0.9, "root"), (2.5, 1.4, "fifth")],
    "chug": [(s / 4, 0.2, "root") for s in (0, 1, 2, 3, 6, 7, 8, 9, 10, 11, 14, 15)],
    "boogie": [
        (i / 2, 0.45, w)
        for i, w in enumerate(("root", "third", "fifth", "sixth", "seventh", "sixth", "fifth", "third"))
    ],
    "two_beat": [(0, 0.8, "root"), (2, 0.8, "fifth")],
    "rnb": [(0, 1.2, "root"), (1.75, 0.25, "octave"), (2.5, 0.9, "fifth"), (3.5, 0.45, "approach")],
    "gospel": [(0, 1.4, "root"), (1.5, 0.4, "fifth"), (2, 0.9, "octave"), (3, 0.45, "fifth"), (3.5, 0.45, "approach")],
    "one_drop": [(0.5, 0.4, "root"), (1, 0.9, "root"), (2.5, 0.4, "fifth"), (3, 0.5, "octave"), (3.5, 0.4, "fifth")],
    "dembow": [
        (0, 0.7, "root"),
        (0.75, 0.2, "root"),
        (1.5, 0.4, "root"),
        (2, 0.7, "fifth"),
        (2.75, 0.2, "fifth"),
        (3.5, 0.4, "root"),
    ],
    "tumbao": [(1.5, 1.4, "root"), (3, 0.9, "fifth")],  # salsa: the anticipated "and of 2" and 4
    "marcato": [(0, 0.5, "root"), (1, 0.45, "root"), (2, 0.5, "fifth"), (3, 0.45, "root")],  # tango
    "afro": [
        (0, 0.4, "root"),
        (0.75, 0.2, "octave"),
        (1.5, 0.4, "fifth"),
        (2.25, 0.2, "root"),
        (2.5, 0.4, "seventh"),
        (3.5, 0.4, "fifth"),
    ],
    "bhangra": [
        (0, 0.45, "root"),
        (0.75, 0.2, "root"),
        (1.5, 0.45, "fifth"),
        (2, 0.45, "root"),
        (2.75, 0.2, "root"),
        (3.5, 0.45, "fifth"),
    ],
}
COMP_PATTERNS: dict[str, list[tuple[float, float, str]]] = {
    "rhodes": [(0, 2.4, "chord"), (2.5, 1.4, "chord")],
    "block_sparse": [(0, 1.4, "chord"), (2.5, 1.2, "chord")],
    "stabs": [(0.5, 0.3, "chord"), (1.5, 0.3, "chord"), (2.5, 0.3, "chord"), (3.5, 0.3, "chord")],
    "pad_long": [(0, 4.0, "chord")],
    "jazz_comp": [(0, 1.2, "shell"), (1.5, 0.4, "shell"), (3, 0.4, "shell")],
    "strum": [
        (0, 0.9, "strum_down"),
        (1, 0.45, "strum_down"),
        (1.5, 0.45, "strum_up"),
        (2.5, 0.45, "strum_up"),
        (3, 0.45, "strum_down"),
        (3.5, 0.45, "strum_up"),
    ],
    "funk_chop": [
        (0.5, 0.12, "chord"),
        (1.25, 0.12, "chord"),
        (1.5, 0.12, "chord"),
        (2.5, 0.12, "chord"),
        (3.25, 0.12, "chord"),
        (3.5, 0.12, "chord"),
    ],
    "bossa": [
        (0, 0.9, "bass"),
        (0, 0.4, "chord"),
        (1, 0.4, "chord"),
        (1.5, 0.4, "chord"),
        (2, 0.9, "bass5"),
        (2, 0.4, "chord"),
        (3, 0.4, "chord"),
        (3.5, 0.4, "chord"),
    ],
    "eighths_chords": [(i / 2, 0.4, "chord") for i in range(8)],  # synthwave, EDM: a pumping pulse
    "supersaw": [
        (0, 0.4, "chord"),
        (0.75, 0.4, "chord"),
        (1.5, 0.4, "chord"),
        (2.5, 0.3, "chord"),
        (3, 0.4, "chord"),
        (3.5, 0.4, "chord"),
    ],
    "chug": [(s / 4, 0.2, "power") for s in (0, 1, 2, 3, 6, 7, 8, 9, 10, 11, 14, 15)],  # metal: palm-muted gallop
    "shuffle": [(i / 2, 0.4 if i % 2 == 0 else 0.3, "chord") for i in range(8)],
    "organ_hold": [(0, 1.9, "chord"), (2, 1.4, "chord"), (3.5, 0.45, "chord")],
    "skank": [(1, 0.22, "chord"), (3, 0.22, "chord")],  # reggae: the chop on 2 and 4
    "montuno": [
        (0, 0.2, "top"),
        (0.5, 0.2, "chord"),
        (1, 0.2, "top"),
        (1.5, 0.2, "chord"),
        (2.5, 0.2, "chord"),
        (3, 0.2, "top"),
        (3.5, 0.2, "chord"),
    ],
    "syncopa": [(0, 0.6, "chord"), (1.5, 0.6, "chord"), (3, 0.6, "chord")],  # tango: 3 + 3 + 2
    "rasgueado": [
        (0, 0.4, "strum_down"),
        (0.25, 0.2, "strum_up"),
        (0.5, 0.4, "strum_down"),
        (1.5, 0.4, "strum_down"),
        (2, 0.4, "strum_down"),
        (2.25, 0.2, "strum_up"),
        (2.5, 0.4, "strum_down"),
        (3.5, 0.4, "strum_up"),
    ],
    "highlife": [(s / 4, 0.15, "arp") for s in (0, 2, 3, 5, 6, 8, 10, 11, 13, 14)],  # afrobeat guitar
    "bollywood_strings": [
        (0.5, 0.3, "chord"),
        (1, 0.3, "chord"),
        (2.5, 0.3, "chord"),
        (3, 0.3, "chord"),
        (3.5, 0.3, "chord"),
    ],
    "pizzicato": [(0, 0.2, "bass"), (1, 0.2, "chord"), (2, 0.2, "bass5"), (3, 0.2, "chord")],
    "tremolo": [(i / 4, 0.22, "chord") for i in range(16)],  # horror: strings trembling on the chord
    "gliss": [
        (0, 0.2, "arp"),
        (0.25, 0.2, "arp"),
        (0.5, 0.2, "arp"),
        (0.75, 0.2, "arp"),
        (1, 1.9, "arp"),
        (3, 0.9, "arp"),
    ],
    "koto": [(0, 0.9, "arp"), (1, 0.45, "arp"), (1.5, 0.45, "arp"), (2, 1.9, "arp")],
    "arp8": [(i / 2, 0.45, "arp") for i in range(8)],
    "arp16": [(i / 4, 0.22, "arp") for i in range(16)],  # trance: a rolling sixteenth arpeggio
    "alberti": [(i / 2, 0.45, ("low", "high", "mid", "high")[i % 4]) for i in range(8)],
}
BASS_REGISTER = 40  # E2


class Voicer:
    """Close-position voicings that move by the smallest steps from the previous chord."""

    def __init__(self, center: int) -> None:
        self.center = center
        self.previous: list[int] | None = None

    def voice(self, chord: Chord, size: int = 4) -> list[int]:
        pcs = chord.pitch_classes()
        while len(pcs) < size:  # double the root (then the fifth) to fill the voicing
            pcs = pcs + [chord.root_pc, chord.fifth_pc][: size - len(pcs)]
        best, best_cost = None, float("inf")
        for inversion in range(len(pcs)):
            order = pcs[inversion:] + pcs[:inversion]
            for base in (self.center - 7, self.center - 2):
                pitches, last = [], base - 1
                for pc in order[:size]:
                    p = last + 1 + ((pc - last - 1) % 12)
                    pitches.append(p)
                    last = p
                drift = abs(sum(pitches) / len(pitches) - self.center)
                motion = sum(abs(a - b) for a, b in zip(pitches, self.previous)) if self.previous else 0
                cost = motion + 1.5 * drift
                if cost < best_cost:
                    best, best_cost = pitches, cost
        self.previous = best
        return best


def _scaled(pattern: list[tuple[float, float, str]], meter: Meter) -> list[tuple[float, float, str]]:
    """Fit a 4-beat pattern to the meter: repeat it for long bars, drop what falls outside."""
    bpb = meter.beats_per_bar
    out = []
    for start in range(0, bpb, 4):
        out += [(start + o, d, w) for o, d, w in pattern if start + o < bpb]
    return out


def _pulse(meter: Meter, per_beat: int, duration: float, what: str) -> list[tuple[float, float, str]]:
    step = 1.0 / per_beat
    return [(i * step, duration * step, what) for i in range(meter.beats_per_bar * per_beat)]


def write_bass(
    track: Part,
    pattern: str,
    chord: Chord,
    next_chord: Chord,
    meter: Meter,
    bar_beat: float,
    energy: float,
    bar_index: int,
    rng: random.Random,
    skip_before: float = 0.0,
) -> None:
    bpb = meter.beats_per_bar
    if pattern == "pulse8":
        notes = _pulse(meter, meter.subdivisions if energy >= 0.5 else 1, 0.85, "root")
    elif pattern == "octave8":
        notes = [(o, d, "root" if i % 2 == 0 else "octave") for i, (o, d, _) in enumerate(_pulse(meter, 2, 0.8, ""))]
    elif pattern == "ostinato":
        notes = _pulse(meter, 2, 0.55, "root") if energy >= 0.5 else [(0, bpb, "root")]
    elif pattern == "walking":
        notes = [
            (b, 0.9, ("root", "fifth", "third", "approach")[b % 4] if b < bpb - 1 else "approach") for b in range(bpb)
        ]
    elif pattern == "waltz":
        notes = [(0, 0.9, "root" if bar_index % 2 == 0 else "fifth")]
    elif pattern == "drone":
        notes = [(0, bpb, "root")]
    else:
        notes = _scaled(BASS_PATTERNS[pattern], meter)
    velocity = 70 + 35 * energy
    root = nearest_pitch(chord.root_pc, BASS_REGISTER, 28, 55)
    for offset, duration, what in notes:
        if what == "root":
            pitch = root
        elif what == "octave":
            pitch = root + 12
        elif what == "fifth":
            pitch = nearest_pitch(chord.fifth_pc, root + 5, 28, 60)
        elif what == "third":
            pitch = nearest_pitch(chord.third_pc, root + 4, 28, 60)
        elif what == "seventh":
            pitch = root + (chord.seventh_interval if chord.seventh else 12)
        elif what == "sixth":
            pitch = root + 9
        else:  # approach: a step below or above the next chord's root
            target = nearest_pitch(next_chord.root_pc, root, 28, 60)
            pitch = target + rng.choice((-1, 1, -2, 2)) if target != root else root + 7
        start = bar_beat + offset
        if start >= skip_before:
            track.add(pitch, start, min(duration, bpb - offset), velocity * (1.08 if offset == 0 else 1.0))


def write_comp(
    track: Part,
    pattern: str,
    chord: Chord,
    meter: Meter,
    bar_beat: float,
    energy: float,
    voicer: Voicer,
    rng: random.Random,
    skip_before: float = 0.0,
) -> None:
    bpb = meter.beats_per_bar
    voicing = voicer.voice(chord)
    bass_note = nearest_pitch(chord.root_pc, voicer.center - 14, 33, 60)
    velocity = 58 + 40 * energy
    if pattern == "block_pulse":
        events = _pulse(meter, meter.subdivisions if energy >= 0.7 else 1, 0.85, "chord")
    elif pattern == "power":
        events = _pulse(meter, meter.subdivisions, 0.5 if energy < 0.6 else 0.85, "power")
    elif pattern == "oompah":
        events = [(b, 0.7, "chord") for b in range(1, bpb)] or [(0, 0.7, "chord")]
    elif pattern in ("piano_arpeggio", "harp_arpeggio", "chip_arpeggio", "piano_eighths"):
        _write_broken_chord(track, pattern, chord, meter, bar_beat, velocity, voicing, bass_note, skip_before)
        return
    else:
        events = _scaled(COMP_PATTERNS[pattern], meter)
        if pattern == "pad_long":
            events = [(0, bpb, "chord")]
    arp = voicing + [p + 12 for p in voicing]
    for index, (offset, duration, what) in enumerate(events):
        start = bar_beat + offset
        if start < skip_before:
            continue
        accent = 1.06 if offset == int(offset) else 0.94
        if what == "power":
            root = nearest_pitch(chord.root_pc, voicer.center, 40, 64)
            pitches = [root, root + 7, root + 12]
        elif what == "shell":  # jazz: third and seventh (plus root below)
            third = nearest_pitch(chord.third_pc, voicer.center, 50, 72)
            seventh = nearest_pitch((chord.root_pc + chord.seventh_interval) % 12, third + 4, 52, 76)
            pitches = [third, seventh]
        elif what == "arp":  # one note at a time, climbing the voicing over two octaves
            pitches = [arp[index % len(arp)]]
        elif what == "top":  # the top voice doubled an octave below (piano montuno)
            pitches = [voicing[-1] - 12, voicing[-1]]
        elif what in ("low", "mid", "high"):  # Alberti: the chord broken low-high-mid-high
            pitches = [voicing[{"low": 0, "mid": 1, "high": -1}[what]]]
        elif what in ("bass", "bass5"):
            pc = chord.root_pc if what == "bass" else chord.fifth_pc
            pitches = [nearest_pitch(pc, voicer.center - 14, 38, 55)]
        else:
            pitches = voicing
        spread = 0.0
        if what.startswith("strum"):
            spread = 0.03
            pitches = [bass_note] + voicing if what == "strum_down" else list(reversed(voicing))
        for i, pitch in enumerate(pitches):
            track.add(
                pitch, start + i * spread, max(0.05, duration - i * spread), velocity * accent + rng.uniform(-5, 5)
            )


def _write_broken_chord(track, pattern, chord, meter, bar_beat, velocity, voicing, bass_note, skip_before):
    bpb = meter.beats_per_bar
    if pattern == "piano_arpeggio":  # left hand: bass note, then the chord broken in even notes
        per_beat = meter.subdivisions
        figure = [voicing[0], voicing[2], voicing[1], voicing[2]] if len(voicing) >= 3 else voicing
        if bar_beat >= skip_before:
            track.add(bass_note, bar_beat, bpb * 0.95, velocity)
        steps = bpb * per_beat
        for i in range(1, steps):
            start = bar_beat + i / per_beat
            if start >= skip_before:
                track.add(figure[i % len(figure)], start, 1.2 / per_beat, velocity * (0.85 if i % per_beat else 0.95))
        return
    if pattern == "harp_arpeggio":  # a slow rising sweep over two octaves
        pitches = voicing + [p + 12 for p in voicing]
        per_beat = 2
        for i in range(bpb * per_beat):
            start = bar_beat + i / per_beat
            if start >= skip_before:
                track.add(pitches[i % len(pitches)], start, 2.0, velocity * 0.8)
        return
    if pattern == "chip_arpeggio":  # the classic fast arpeggio of 8-bit music
        pitches = sorted(set(voicing))[:3] + [voicing[0] + 12]
        for i in range(bpb * 4):
            start = bar_beat + i / 4
            if start >= skip_before:
                track.add(pitches[i % len(pitches)], start, 0.22, velocity * 0.8)
        return
    # piano_eighths: the upper voices repeat in a steady, bright pulse
    per_beat = meter.subdivisions
    for i in range(bpb * per_beat):
        start = bar_beat + i / per_beat
        if start >= skip_before:
            for pitch in voicing[1:]:
                track.add(pitch, start, 0.9 / per_beat, velocity * (1.0 if i % per_beat == 0 else 0.85))
    if bar_beat >= skip_before:
        track.add(bass_note, bar_beat, bpb * 0.95, velocity)


def write_pad(
    track: Part, chord: Chord, meter: Meter, bar_beat: float, energy: float, voicer: Voicer, skip_before: float = 0.0
) -> None:
    start = max(bar_beat, skip_before)
    length = bar_beat + meter.beats_per_bar - start
    for pitch in voicer.voice(chord, size=4):
        track.add(pitch, start, length, 45 + 40 * energy)
