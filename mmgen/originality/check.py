"""The originality check of a score: its melody and chords against every known piece (index.py).

Three figures, each against the piece that gives it:
- the longest run of the melody's notes that a known tune has too (intervals and rhythm, in any
  key and at any tempo);
- a phrase similarity, 0..1: the best local alignment with a known tune (a changed note or
  rhythm forgiven, match.align) over a phrase of PHRASE_CODES notes, 1 = a whole phrase aligned;
- the longest run of the bar-chord progression a known piece has too, counted in different
  chord steps, so a common loop such as I–V–vi–IV, however often it repeats, stays short.

The verdict: "copy" when the melody's run reaches copy_notes; "similar" when it reaches
similar_notes, the phrase similarity similar_phrase or the chord run similar_chords; else
"original". The thresholds are calibrated (calibrate.py) on human tunes the models never saw and
kept in the index; a harmony alone never makes a copy.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ..symbolic.piece import Piece
from .features import chord_codes, melody_codes
from .index import MELODY_N, Index, known_pieces
from .match import best_match

PHRASE_CODES = 16
# Used only when an index carries no calibration (a folder index merged alone).
DEFAULT_THRESHOLDS = {"copy_notes": 16, "similar_notes": 13, "similar_phrase": 0.85, "similar_chords": 12}


@dataclass
class Originality:
    verdict: str  # original | similar | copy
    longest_match_notes: int
    longest_match_tune: str | None
    nearest: str | None  # the known tune of the best phrase alignment
    similarity: float
    chord_match_steps: int
    chord_nearest: str | None
    only_chords: bool = False  # "similar" by its chord progression alone

    def line(self) -> str:
        """One line for the report, the result view and the CLI."""
        nearest = f"nearest known tune: {self.nearest} (similarity {self.similarity:.2f})" if self.nearest else ""
        if self.verdict == "copy":
            return f"copy: {self.longest_match_notes} notes in a row are those of {self.longest_match_tune}; " + nearest
        if self.longest_match_notes:
            text = f"{self.verdict}: longest match {self.longest_match_notes} notes"
        else:  # no n-gram in common: no run as long as one
            text = f"{self.verdict}: no run of {MELODY_N + 1} notes matches a known tune"
        text += f"; {nearest}" if nearest else ""
        if self.only_chords:
            text += f"; its chords follow {self.chord_nearest} for {self.chord_match_steps} steps"
        return text

    def to_dict(self) -> dict:
        return {**asdict(self), "line": self.line()}


def thresholds_of(index: Index | None) -> dict:
    calibration = (index.meta.get("calibration") or {}) if index is not None else {}
    return {**DEFAULT_THRESHOLDS, **calibration.get("thresholds", {})}


def measure(piece: Piece, index: Index) -> tuple[int, int, float, int, int, int]:
    """(longest melody run in notes, its piece, phrase similarity, its piece, chord run in
    steps, its piece); pieces are index positions, -1 for none."""
    melody = best_match(
        melody_codes(piece.parts.get("melody", [])), index.melody_table(), index.melody, index.melody_starts, True
    )
    chords = best_match(chord_codes(piece), index.chord_table(), index.chords, index.chord_starts, False, distinct=True)
    run_notes = melody.run + 1 if melody.run else 0  # k equal codes: k + 1 notes with the same intervals
    similarity = min(1.0, melody.score / PHRASE_CODES)
    return run_notes, melody.run_piece, similarity, melody.score_piece, chords.run, chords.run_piece


def check_piece(piece: Piece, index: Index | None = None) -> Originality | None:
    """The check of one piece (None when no index is here to check against)."""
    index = index if index is not None else known_pieces()
    if index is None or not len(index):
        return None
    run, run_piece, similarity, nearest, steps, chord_piece = measure(piece, index)
    limits = thresholds_of(index)
    melody_similar = run >= limits["similar_notes"] or similarity >= limits["similar_phrase"]
    chords_similar = steps >= limits["similar_chords"]
    if run >= limits["copy_notes"]:
        verdict = "copy"
    else:
        verdict = "similar" if melody_similar or chords_similar else "original"

    def title(i: int) -> str | None:
        return index.titles[i] if i >= 0 else None

    only_chords = verdict == "similar" and not melody_similar
    return Originality(
        verdict, run, title(run_piece), title(nearest), round(similarity, 3), steps, title(chord_piece), only_chords
    )


def check_score(tokens, key=None, index: Index | None = None) -> Originality | None:
    """The check of a score take (ScoreTokens), read in `key` (music.Key) when given."""
    from .features import score_piece

    return check_piece(score_piece(tokens, key), index)
