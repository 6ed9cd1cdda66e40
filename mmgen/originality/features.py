"""What the originality check compares: a melody as transposition- and tempo-invariant note codes,
and a harmony as roman numerals relative to the key.

A melody code stands for one note after the first two: the interval from the note before it
(semitones, clamped to an octave either way) and the ratio of its inter-onset interval to the one
before (log2, in half-octave steps, clamped to 4x either way). Onsets are first put on a
sixteenth-note grid, so a humanised take's few milliseconds change nothing, and a line played
in another key or at another tempo (or written in other note values) has the same codes. A run of
k equal codes is a run of k + 1 notes with the same intervals and rhythm.

A chord code is one bar's roman numeral (read from all sounding voices, as the learned models'
training data is: symbolic/dataset.piece_bars), repeated chords merged, so a change of harmonic
rhythm does not hide a copied progression.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..symbolic.piece import Piece
from ..symbolic.tokenizer import MODE_CHORDS

GRID_Q = 0.25  # onsets are put on this grid (quarter notes) before the rhythm is read
MAX_INTERVAL = 12
RATIO_STEPS = 4  # half-octave steps either way: 1/4 .. 4
RATIO_BINS = 2 * RATIO_STEPS + 1
CHORD_LABELS = tuple(dict.fromkeys(MODE_CHORDS["major"] + MODE_CHORDS["minor"]))


def melody_line(notes: list[list[float]] | list[tuple[float, float, int]]) -> tuple[np.ndarray, np.ndarray]:
    """(onsets on the grid, pitches) of a line of [onset_q, duration_q, pitch] notes: one note
    per onset (the highest), in time order."""
    if not notes:
        return np.zeros(0), np.zeros(0, dtype=int)
    rows = sorted((round(float(n[0]) / GRID_Q) * GRID_Q, -int(n[2])) for n in notes)
    onsets, pitches, last = [], [], None
    for onset, negative in rows:
        if onset != last:
            onsets.append(onset)
            pitches.append(-negative)
            last = onset
    return np.asarray(onsets, dtype=float), np.asarray(pitches, dtype=int)


def melody_codes(notes: list) -> np.ndarray:
    """The line's note codes (uint8, two fewer than its notes): interval and rhythm ratio."""
    onsets, pitches = melody_line(notes)
    if len(onsets) < 3:
        return np.zeros(0, dtype=np.uint8)
    intervals = np.clip(np.diff(pitches), -MAX_INTERVAL, MAX_INTERVAL)[1:]
    gaps = np.diff(onsets)
    ratios = np.clip(np.round(2 * np.log2(gaps[1:] / gaps[:-1])), -RATIO_STEPS, RATIO_STEPS).astype(int)
    return ((intervals + MAX_INTERVAL) * RATIO_BINS + ratios + RATIO_STEPS).astype(np.uint8)


def code_intervals(codes: np.ndarray) -> np.ndarray:
    """The interval part of melody codes (for matches that allow another rhythm)."""
    return codes.astype(int) // RATIO_BINS


def chord_codes(piece: Piece) -> np.ndarray:
    """The piece's bar chords as codes (uint8), repeats merged."""
    from ..symbolic.dataset import piece_bars

    labels = [bar.chord for bar in piece_bars(piece)]
    codes = [CHORD_LABELS.index(label) for i, label in enumerate(labels) if i == 0 or label != labels[i - 1]]
    return np.asarray(codes, dtype=np.uint8)


def chord_names(codes: np.ndarray) -> list[str]:
    return [CHORD_LABELS[int(c)] for c in codes]


def score_piece(tokens, key=None, title: str = "this take") -> Piece:
    """A score take (ScoreTokens) as a corpus Piece: its melody (the "melody" part, else the sung
    line, else the highest pitched part) and its other pitched parts, in quarter notes; in `key`
    (a music.Key), else the key its notes suggest."""
    from ..eval.metrics import key_of_pitch_classes

    qpb = float(tokens.quarters_per_beat)
    pitched = [p for p in tokens.parts if not p.is_drum and p.notes]
    by_name = {p.name: p for p in pitched}
    lead = by_name.get("melody") or by_name.get("vocal")
    if lead is None and pitched:
        lead = max(pitched, key=lambda p: float(np.mean([n.pitch for n in p.notes])))
    parts: dict[str, list[list[float]]] = {}
    for part in pitched:
        role = "melody" if part is lead else part.name
        notes = [[n.start_beat * qpb, n.duration_beats * qpb, n.pitch] for n in part.notes]
        parts.setdefault(role, []).extend(notes)
    if key is None:
        weights = np.zeros(12)
        for notes in parts.values():
            for _, duration, pitch in notes:
                weights[int(pitch) % 12] += duration
        key = key_of_pitch_classes(weights)[0]
    num, den = (int(x) for x in tokens.meter.split("/"))
    return Piece("take", title, tokens.meter, key.tonic_pc, key.mode, num * 4.0 / den, parts)


def midi_file_piece(path: Path) -> Piece:
    """A MIDI file as a Piece, read as training folders are (training/midi_folder.py: the part
    named "melody" or else the highest is the melody); InvalidRequest when the
    file cannot be read or holds no line to check."""
    from ..errors import InvalidRequest
    from ..training.midi_folder import midi_piece

    try:
        piece = midi_piece(Path(path))
    except Exception:  # pretty_midi raises many kinds on a damaged file
        raise InvalidRequest(f"I can't read '{Path(path).name}' as a MIDI file.") from None
    if piece is None or len(piece.parts.get("melody", [])) < 3:
        raise InvalidRequest(f"'{Path(path).name}' holds no melody of 3 notes or more (or its meter is unusual).")
    return piece
