"""Corpus pieces -> lead-sheet bars -> token sequences, with a held-out split and transposition.

Each bar's chord is found from every voice sounding in it: pitch classes weighted by how long
they sound (a note on the bar's downbeat counts 1.5x), scored against the triads of the mode
(chord tones add their weight, other tones subtract half of theirs), with a small prior for the
primary triads (a bare melody often fits two triads equally; the tonic, dominant and
subdominant are the likelier harmony).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable

import numpy as np

from ..music import CHORD_INTERVALS, Key, Meter
from .piece import Piece
from .tokenizer import (
    CHORD_SHAPES,
    MODE_CHORDS,
    PITCH_RANGE,
    Bar,
    LeadSheetTokenizer,
    Note,
    density_bucket,
    tempo_bucket,
)

PRIOR = {"I": 0.15, "i": 0.15, "V": 0.1, "IV": 0.06, "iv": 0.06}  # x the bar's total weight
HELD_OUT = 0.05  # share of pieces kept for evaluation (by a hash of the title, stable)
FAST_TUNES = {"reel", "hornpipe", "jig", "polka", "slide", "quickstep", "strathspey"}
SLOW_TUNES = {"air", "lament"}
MODERATE_TUNES = {"march", "waltz", "mazurka", "schottische"}


def style_of(piece: Piece) -> str:
    return "chorale" if piece.collection == "chorales" else "folk"


def tempo_of(piece: Piece) -> str:
    """A tempo bucket: the notated tempo when there is one, else the tune type's custom."""
    if piece.tempo_qpm:
        return tempo_bucket(piece.tempo_qpm / meter_of(piece.meter).quarters_per_beat)
    if piece.collection == "chorales" or piece.tune_type in SLOW_TUNES:
        return "slow"
    if piece.tune_type in FAST_TUNES:
        return "fast"
    return "moderate" if piece.tune_type in MODERATE_TUNES else "unknown"


def meter_of(name: str) -> Meter:
    """Any "n/d" time signature as a Meter (the corpus has some the app does not offer: 9/8, 3/8)."""
    num, den = (int(x) for x in name.split("/"))
    return Meter(num, den)


def beats_per_bar(meter: str) -> int:
    return meter_of(meter).beats_per_bar


def triad(label: str, key: Key) -> tuple[int, int, int]:
    """(root, third, fifth) pitch classes of a roman-numeral triad in a key."""
    root, quality = CHORD_SHAPES[label]
    return tuple((key.tonic_pc + root + i) % 12 for i in CHORD_INTERVALS[quality])


def chord_tones(label: str, key: Key) -> set[int]:
    """The pitch classes of a roman-numeral triad in a key."""
    return set(triad(label, key))


def allowed_pcs(key: Key, chord: str | None = None) -> set[int]:
    """The pitch classes key-aware decoding lets a line use in a bar: the key's (minor with its
    raised 6th and 7th) and the tones of the bar's chord, when it is a known triad."""
    return key.in_key_pcs() | (chord_tones(chord, key) if chord in CHORD_SHAPES else set())


def chord_label(weights: np.ndarray, key: Key) -> str:
    """The mode's triad that best explains pitch-class weights [12] (relative to C)."""
    best, best_score = MODE_CHORDS[key.mode][0], -1e9
    total = float(weights.sum())
    for label in MODE_CHORDS[key.mode]:
        tones = chord_tones(label, key)
        inside = sum(float(weights[pc]) for pc in tones)
        score = inside - 0.5 * (total - inside) + PRIOR.get(label, 0.0) * total
        if score > best_score + 1e-9:
            best, best_score = label, score
    return best


UNPITCHED = ("drums",)  # roles left out of the harmony (their "pitches" are drum sounds)


def bar_frame(piece: Piece) -> tuple[float, int]:
    """(shift, bar count): onsets + shift are quarter notes from the first bar line of the
    piece's bars (a pickup becomes a first, mostly empty bar)."""
    notes = [n for notes in piece.parts.values() for n in notes]
    shift = piece.bar_q if min(n[0] for n in notes) < 0 else 0.0
    return shift, max(1, int(-(-(max(n[0] + n[1] for n in notes) + shift) // piece.bar_q)))


def part_bars(piece: Piece, role: str) -> list[list[Note]]:
    """One part's notes per bar (onsets from the bar line, notes clipped at the bar line)."""
    shift, count = bar_frame(piece)
    bars: list[list[Note]] = [[] for _ in range(count)]
    for onset, duration, pitch in piece.parts.get(role, ()):
        start = onset + shift
        b = int(start // piece.bar_q)
        if 0 <= b < count:
            inside = start - b * piece.bar_q
            bars[b].append(Note(inside, min(duration, piece.bar_q - inside), int(pitch)))
    return bars


def piece_bars(piece: Piece) -> list[Bar]:
    """The melody cut into bars (see part_bars), with each bar's chord and density."""
    key = Key(piece.tonic_pc, piece.mode)
    shift, count = bar_frame(piece)
    weights = np.zeros((count, 12))
    for role, notes in piece.parts.items():
        if role in UNPITCHED:
            continue
        for onset, duration, pitch in notes:
            start, end = onset + shift, onset + shift + duration
            first = int(start // piece.bar_q)
            for b in range(first, min(count, int(-(-end // piece.bar_q)))):
                overlap = min(end, (b + 1) * piece.bar_q) - max(start, b * piece.bar_q)
                downbeat = 1.5 if b == first and abs(start - b * piece.bar_q) < 1e-6 else 1.0
                weights[b, int(pitch) % 12] += max(0.0, overlap) * downbeat
    per_bar = beats_per_bar(piece.meter)
    return [
        Bar(chord_label(weights[b], key), density_bucket(len(notes), per_bar), notes)
        for b, notes in enumerate(part_bars(piece, "melody"))
    ]


def _digest(piece: Piece) -> bytes:
    name = f"{piece.collection}|{piece.title}|{piece.meter}|{len(piece.parts['melody'])}"
    return hashlib.sha1(name.encode()).digest()


def held_out(piece: Piece) -> bool:
    """One of the corpus's held-out pieces (5%, by a hash of the title: stable as the corpus grows)."""
    return _digest(piece)[0] / 256 < HELD_OUT


def tuning_split(pieces: list[Piece], share: float = 0.2) -> Callable[[Piece], bool]:
    """The held-out test of a fine-tuning run on a small folder: the `share` of its pieces (at
    least one, when there are two or more) lowest by the same hash, so a few files still leave
    some for early stopping."""
    count = min(len(pieces) - 1, max(1, round(share * len(pieces)))) if len(pieces) > 1 else 0
    chosen = {_digest(p) for p in sorted(pieces, key=_digest)[:count]}
    return lambda piece: _digest(piece) in chosen


def encode_piece(tokenizer: LeadSheetTokenizer, piece: Piece) -> list[int] | None:
    from .tokenizer import meter_supported

    if not meter_supported(piece.meter):
        return None
    return tokenizer.encode(
        Key(piece.tonic_pc, piece.mode), style_of(piece), tempo_of(piece), piece.meter, piece_bars(piece)
    )


def augmented(tokenizer: LeadSheetTokenizer, ids: list[int], count: int, rng: random.Random) -> list[list[int]]:
    """`count` transpositions of one sequence (the original among them), each into range."""
    shifts = list(range(-6, 6))
    rng.shuffle(shifts)
    shifts.remove(0)
    out = [ids]
    for shift in shifts:
        if len(out) >= count:
            break
        moved = tokenizer.transpose(ids, shift)
        if moved is None:  # try the other octave
            moved = tokenizer.transpose(ids, shift - 12 if shift > 0 else shift + 12)
        if moved is not None:
            out.append(moved)
    return out


def split_sequences(
    tokenizer: LeadSheetTokenizer, pieces: list[Piece], is_held_out: Callable[[Piece], bool] = held_out
) -> tuple[list[list[int]], list[list[int]]]:
    """(train, held-out) sequences, untransposed; pieces that cannot be encoded are skipped."""
    train, test = [], []
    for piece in pieces:
        ids = encode_piece(tokenizer, piece)
        if ids is not None and len(ids) > 12:
            (test if is_held_out(piece) else train).append(ids)
    return train, test


def in_range(pitch: int) -> bool:
    return PITCH_RANGE[0] <= pitch < PITCH_RANGE[1]
