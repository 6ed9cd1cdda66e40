"""Melody grids: the representation of the GAN, diffusion and VAE decoders.

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
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..training.corpus import Piece
from .dataset import held_out, piece_bars
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
    events: np.ndarray  # int64 [N, STEPS] event class per step (REST on unused steps)
    cond: np.ndarray  # float32 [N, PHRASE_BARS, COND]
    mask: np.ndarray  # bool [N, STEPS]


def piece_grid(piece: Piece) -> tuple[np.ndarray, list] | None:
    """Event classes [bars * STEPS_PER_BAR] of a whole piece and its bars, or None when its meter
    is not on the grid. Notes are quantised to 16ths; the later of two notes on a step wins."""
    if piece.meter not in GRID_METERS:
        return None
    bars = piece_bars(piece)
    pitches = [n.pitch for bar in bars for n in bar.notes]
    if not pitches:
        return None
    tonic = piece.tonic_pc + 60 + LOWEST
    shift = 12 * round((CENTRE - (float(np.median(pitches)) - tonic)) / 12)
    events = np.full(len(bars) * STEPS_PER_BAR, REST, np.int64)
    used = GRID_METERS[piece.meter]
    for b, bar in enumerate(bars):
        for note in bar.notes:
            start = round(note.onset_q * 4)
            length = max(1, round(note.duration_q * 4))
            index = note.pitch - tonic + shift
            if not (0 <= index < PITCHES) or start >= used:
                continue
            base = b * STEPS_PER_BAR
            events[base + start] = index
            for k in range(start + 1, min(used, start + length)):
                events[base + k] = HOLD
    return events, bars


def phrases(pieces: list[Piece], hop_bars: int = 2, split: str = "train") -> Phrases:
    """Every PHRASE_BARS-bar window (hop `hop_bars`) of the train or held-out pieces."""
    from .dataset import beats_per_bar
    from .tokenizer import density_bucket

    events, conds, masks = [], [], []
    for piece in pieces:
        if held_out(piece) != (split == "held-out"):
            continue
        found = piece_grid(piece)
        if found is None:
            continue
        grid, bars = found
        mask = step_mask(piece.meter)
        bar_cond = [bar_condition(piece.mode, piece.meter, bar.chord,
                                  density_bucket(len(bar.notes), beats_per_bar(piece.meter))) for bar in bars]
        for start in range(0, max(1, len(bars) - PHRASE_BARS + 1), hop_bars):
            window = grid[start * STEPS_PER_BAR:(start + PHRASE_BARS) * STEPS_PER_BAR]
            if len(window) < STEPS or (window < PITCHES).sum() < 4:
                continue
            window = window.copy()
            if window[0] == HOLD:  # a note tied in from before the phrase: its start is unseen
                window[0] = REST
            events.append(window)
            conds.append(np.stack(bar_cond[start:start + PHRASE_BARS]))
            masks.append(mask)
    if not events:
        return Phrases(np.zeros((0, STEPS), np.int64), np.zeros((0, PHRASE_BARS, COND), np.float32),
                       np.zeros((0, STEPS), bool))
    return Phrases(np.stack(events), np.stack(conds), np.stack(masks))


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
