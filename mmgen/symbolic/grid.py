"""Event grids: the representation of the GAN, diffusion and VAE decoders.

A phrase is PHRASE_BARS bars on a 16th-note grid, STEPS_PER_BAR steps a bar (bars shorter than
4/4 leave their last steps unused). Each step is one of CLASSES events, MusicVAE-style:
    0..PITCHES-1   a note starts, at key-relative pitch LOWEST + i (semitones above the tonic
                   of the octave below middle C's tonic)
    HOLD           the sounding note goes on
    REST           silence
so a grid `[T, CLASSES]` (one-hot, or probabilities) is always a single melodic line. Pitches are
relative to the key (pieces are read in their own key, so every piece counts in every key), the
phrase sits in the octave that centres its melody, and the conditioning of each bar says the
mode, the meter, the chord (roman numeral) and the note density.

A phrase has four such lines, VOICES: the melody, two inner voices (the "chords" track) and the
bass, each moved by octaves to centre its own median; the VAE and diffusion models read the
melody, the GAN all four and a drum roll (DRUMS kinds, 1 where a hit starts). `present` says
which TRACKS a piece has: the folk tunes only a melody, the chorales melody, chords and bass,
MIDI files whatever they hold; a missing track is REST (or no hits) and the GAN is told so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .dataset import bar_frame, held_out, part_bars, piece_bars
from .piece import Piece
from .tokenizer import CHORD_SHAPES, CHORDS, DENSITIES, Note

STEPS_PER_BAR = 16
PHRASE_BARS = 4
STEPS = STEPS_PER_BAR * PHRASE_BARS
PITCHES = 36
LOWEST = -5  # the lowest pitch: a fourth below the tonic
HOLD, REST = PITCHES, PITCHES + 1
CLASSES = PITCHES + 2
GRID_METERS = {"2/4": 8, "3/4": 12, "4/4": 16, "6/8": 12}  # steps a bar uses
CENTRE = 9  # grid pitch index the melody's median is moved to (about a fifth above the tonic)
CHORD_SLOTS = len(CHORDS) + 1  # + "another chord"
COND = 1 + len(GRID_METERS) + CHORD_SLOTS + DENSITIES  # per bar: minor, meter, chord, density

VOICES = ("melody", "alto", "tenor", "bass")  # the event lines, by their corpus roles
TRACKS = ("melody", "chords", "bass", "drums")
VOICE_TRACK = (0, 1, 1, 2)  # the track of each voice
DRUMS = ("kick", "snare", "closed hat", "open hat", "tom", "cymbal")
DRUM_NOTES = (36, 38, 42, 46, 45, 49)  # the General MIDI note each kind is played with
DRUM_KIND = {
    35: 0,
    36: 0,
    37: 1,
    38: 1,
    39: 1,
    40: 1,
    42: 2,
    44: 2,
    46: 3,
    41: 4,
    43: 4,
    45: 4,
    47: 4,
    48: 4,
    50: 4,
    49: 5,
    51: 5,
    52: 5,
    53: 5,
    55: 5,
    57: 5,
    59: 5,
}  # GM drum note -> kind


def chord_slot(label: str) -> int:
    """The conditioning slot of a chord label; chromatic chords the grid models never saw
    share the last slot."""
    return CHORDS.index(label) if label in CHORD_SHAPES else len(CHORDS)


def bar_condition(mode: str, meter: str, chord: str, density: int) -> np.ndarray:
    """[COND] one bar's conditioning."""
    vector = np.zeros(COND, np.float32)
    vector[0] = mode == "minor"
    vector[1 + list(GRID_METERS).index(meter)] = 1
    vector[1 + len(GRID_METERS) + chord_slot(chord)] = 1
    vector[1 + len(GRID_METERS) + CHORD_SLOTS + density] = 1
    return vector


def step_mask(meter: str) -> np.ndarray:
    """[STEPS] True on the steps the meter's bars use."""
    used = GRID_METERS[meter]
    return np.tile(np.arange(STEPS_PER_BAR) < used, PHRASE_BARS)


@dataclass
class Phrases:
    events: np.ndarray  # int64 [N, VOICES, STEPS] event class per step (REST on unused steps)
    drums: np.ndarray  # bool [N, STEPS, DRUMS] hit starts
    present: np.ndarray  # bool [N, TRACKS] the tracks the phrase's piece has
    cond: np.ndarray  # float32 [N, PHRASE_BARS, COND]
    mask: np.ndarray  # bool [N, STEPS]


def voice_events(bars: list[list[Note]], tonic: int, meter: str) -> np.ndarray | None:
    """Event classes [len(bars) * STEPS_PER_BAR] of one voice (None when it has no notes),
    moved by octaves so its median sits at CENTRE. Notes are quantised to 16ths; the later of
    two notes on a step wins."""
    pitches = [n.pitch for bar in bars for n in bar]
    if not pitches:
        return None
    shift = 12 * round((CENTRE - (float(np.median(pitches)) - tonic)) / 12)
    events = np.full(len(bars) * STEPS_PER_BAR, REST, np.int64)
    used = GRID_METERS[meter]
    for b, notes in enumerate(bars):
        for note in notes:
            start = round(note.onset_q * 4)
            length = max(1, round(note.duration_q * 4))
            index = note.pitch - tonic + shift
            if not (0 <= index < PITCHES) or start >= used:
                continue
            base = b * STEPS_PER_BAR
            events[base + start] = index
            for k in range(start + 1, min(used, start + length)):
                events[base + k] = HOLD
    return events


def inner_voices(piece: Piece) -> tuple[list[list[Note]], list[list[Note]]]:
    """The two inner lines per bar: a chorale's alto and tenor; from a MIDI file's middle
    tracks, the top and the bottom note of each onset (a lone note goes to the nearer line)."""
    if "alto" in piece.parts or "tenor" in piece.parts:
        return part_bars(piece, "alto"), part_bars(piece, "tenor")
    inner = [part_bars(piece, role) for role in piece.parts if role.startswith("inner")]
    upper: list[list[Note]] = [[] for _ in range(bar_frame(piece)[1])]
    lower: list[list[Note]] = [[] for _ in upper]
    last = [72, 60]
    for b in range(len(upper)):
        onsets: dict[float, list[Note]] = {}
        for bars in inner:
            for note in bars[b]:
                onsets.setdefault(round(note.onset_q, 2), []).append(note)
        for onset in sorted(onsets):
            notes = sorted(onsets[onset], key=lambda n: n.pitch)
            if len(notes) == 1:
                line = int(abs(notes[0].pitch - last[1]) < abs(notes[0].pitch - last[0]))
                (upper, lower)[line][b].append(notes[0])
                last[line] = notes[0].pitch
                continue
            upper[b].append(notes[-1])
            lower[b].append(notes[0])
            last = [notes[-1].pitch, notes[0].pitch]
    return upper, lower


def drum_roll(piece: Piece, bars: int) -> np.ndarray:
    """bool [bars * STEPS_PER_BAR, DRUMS]: where each kind of drum is struck."""
    roll = np.zeros((bars * STEPS_PER_BAR, len(DRUMS)), bool)
    used = GRID_METERS[piece.meter]
    for b, notes in enumerate(part_bars(piece, "drums")):
        for note in notes:
            step = round(note.onset_q * 4)
            if note.pitch in DRUM_KIND and step < used and b < bars:
                roll[b * STEPS_PER_BAR + step, DRUM_KIND[note.pitch]] = True
    return roll


def piece_tracks(piece: Piece) -> tuple[np.ndarray, np.ndarray, np.ndarray, list] | None:
    """(events [VOICES, bars * STEPS_PER_BAR], drums, present [TRACKS], bars) of a whole piece,
    or None when its meter is not on the grid or it has no melody."""
    if piece.meter not in GRID_METERS:
        return None
    bars = piece_bars(piece)
    tonic = piece.tonic_pc + 60 + LOWEST
    alto, tenor = inner_voices(piece)
    lines = [[bar.notes for bar in bars], alto, tenor, part_bars(piece, "bass")]
    voices = [voice_events(line, tonic, piece.meter) for line in lines]
    if voices[0] is None:
        return None
    present = np.zeros(len(TRACKS), bool)
    for v, events in enumerate(voices):
        present[VOICE_TRACK[v]] |= events is not None
    present[TRACKS.index("drums")] = bool(piece.parts.get("drums"))
    rest = np.full(len(bars) * STEPS_PER_BAR, REST, np.int64)
    events = np.stack([rest if e is None else e for e in voices])
    return events, drum_roll(piece, len(bars)), present, bars


def phrases(pieces: list[Piece], hop_bars: int = 2, split: str = "train", is_held_out=None) -> Phrases:
    """Every PHRASE_BARS-bar window (hop `hop_bars`) of the train or held-out pieces that has
    at least 4 melody notes (`is_held_out`: which pieces are held out, default the corpus's 5%)."""
    from .dataset import beats_per_bar
    from .tokenizer import density_bucket

    events, drums, present, conds, masks = [], [], [], [], []
    for piece in pieces:
        if (is_held_out or held_out)(piece) != (split == "held-out"):
            continue
        found = piece_tracks(piece)
        if found is None:
            continue
        grid, roll, has, bars = found
        mask = step_mask(piece.meter)
        bar_cond = [
            bar_condition(
                piece.mode, piece.meter, bar.chord, density_bucket(len(bar.notes), beats_per_bar(piece.meter))
            )
            for bar in bars
        ]
        for start in range(0, max(1, len(bars) - PHRASE_BARS + 1), hop_bars):
            steps = slice(start * STEPS_PER_BAR, (start + PHRASE_BARS) * STEPS_PER_BAR)
            window = grid[:, steps]
            if window.shape[1] < STEPS or (window[0] < PITCHES).sum() < 4:
                continue
            window = window.copy()
            window[window[:, 0] == HOLD, 0] = REST  # a note tied in from before the phrase: its start is unseen
            events.append(window)
            drums.append(roll[steps])
            present.append(has)
            conds.append(np.stack(bar_cond[start : start + PHRASE_BARS]))
            masks.append(mask)
    if not events:
        return Phrases(
            np.zeros((0, len(VOICES), STEPS), np.int64),
            np.zeros((0, STEPS, len(DRUMS)), bool),
            np.zeros((0, len(TRACKS)), bool),
            np.zeros((0, PHRASE_BARS, COND), np.float32),
            np.zeros((0, STEPS), bool),
        )
    return Phrases(np.stack(events), np.stack(drums), np.stack(present), np.stack(conds), np.stack(masks))


def grid_notes(events: np.ndarray, tonic_pc: int, octave: int = 5) -> list[list[Note]]:
    """Notes per bar (onsets in quarter notes from the bar line) from event classes
    [bars * STEPS_PER_BAR]; a HOLD after silence is a rest."""
    base = tonic_pc + 12 * octave + LOWEST
    bars: list[list[Note]] = [[] for _ in range(len(events) // STEPS_PER_BAR)]
    current: Note | None = None
    current_bar = 0
    for t, event in enumerate(events):
        bar, step = divmod(t, STEPS_PER_BAR)
        if event < PITCHES or event == REST or (event == HOLD and (current is None or bar != current_bar)):
            current = None
        if event < PITCHES:
            current, current_bar = Note(step / 4, 0.25, int(base + event)), bar
            bars[bar].append(current)
        elif event == HOLD and current is not None:
            current.duration_q += 0.25
    return bars
