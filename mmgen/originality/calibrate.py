"""Where the originality check draws its lines, measured on human music the models never saw.

Two sets of human tunes are checked against the index of the training pieces:
- **other tunes** (the Essen folk songs, a collection no shipped model was trained on): what
  unrelated music shares with the training pieces by idiom alone. The thresholds sit above what
  these share: `similar_*` at their 95th percentile, `copy_notes` past their 99th, so about 1 in
  100 human tunes of another tradition would be called a copy (the false-positive floor);
- **held-out tunes** of the training collections (symbolic/dataset.held_out): the same
  tradition, where many tunes are other settings of a training tune; the share flagged says how
  much the collections repeat themselves, not how often the check errs.
Training pieces checked against the index must all be copies (the check finds what it holds).
"""

from __future__ import annotations

import math
import sys
import time

import numpy as np

from ..symbolic.piece import Piece
from .check import measure
from .features import melody_codes
from .index import Index

SELF_CHECKS = 100  # training pieces checked against the index: each must be found whole
MIN_COPY_NOTES = 16  # never below: four bars of a simple tune; held-out tunes of the same tradition share 12 (median)


def _figures(index: Index, pieces: list[Piece]) -> dict[str, np.ndarray]:
    rows = [measure(piece, index) for piece in pieces]
    runs, _, similarity, _, steps, _ = (np.array(column, dtype=float) for column in zip(*rows))
    return {"notes": runs, "similarity": similarity, "chord_steps": steps}


def _summary(figures: dict[str, np.ndarray]) -> dict:
    return {
        name: {f"p{q}": round(float(np.percentile(values, q)), 3) for q in (50, 90, 95, 99)}
        | {"max": round(float(values.max()), 3)}
        for name, values in figures.items()
    }


def _notes(piece: Piece) -> int:
    return len(melody_codes(piece.parts.get("melody", []))) + 1


def calibrate(index: Index, train: list[Piece], held: list[Piece], other: list[Piece], progress: bool = False) -> dict:
    """The thresholds and the figures they come from (kept in the index's meta)."""
    started = time.time()
    other_figures = _figures(index, other)
    held_figures = _figures(index, held)
    thresholds = {
        "copy_notes": max(MIN_COPY_NOTES, math.floor(np.percentile(other_figures["notes"], 99)) + 1),
        "similar_notes": math.floor(np.percentile(other_figures["notes"], 95)) + 1,
        "similar_phrase": round(float(np.percentile(other_figures["similarity"], 95)) + 0.01, 2),
        "similar_chords": math.floor(np.percentile(other_figures["chord_steps"], 95)) + 1,
    }
    thresholds["similar_notes"] = min(thresholds["similar_notes"], thresholds["copy_notes"] - 1)

    def flagged(figures: dict[str, np.ndarray], at: str) -> float:
        return round(float(np.mean(figures["notes"] >= thresholds[at])), 4)

    sample = [p for p in train[:: max(1, len(train) // SELF_CHECKS)] if _notes(p) >= thresholds["copy_notes"]]
    found = [measure(piece, index)[0] >= thresholds["copy_notes"] for piece in sample]
    result = {
        "thresholds": thresholds,
        "other_tunes": {
            "count": len(other),
            "copy_rate": flagged(other_figures, "copy_notes"),
            **_summary(other_figures),
        },
        "held_out_tunes": {
            "count": len(held),
            "copy_rate": flagged(held_figures, "copy_notes"),
            **_summary(held_figures),
        },
        "training_pieces_found": round(float(np.mean(found)), 4) if found else None,
        "seconds": round(time.time() - started, 1),
    }
    if progress:
        print(f"  calibrated on {len(other)} other and {len(held)} held-out tunes: {thresholds}", file=sys.stderr)
    return result
