"""Matching code sequences against an index: the longest exact run (n-gram hits chained along
a diagonal) and a phrase similarity (a local alignment, Smith-Waterman, that forgives a changed
note or rhythm), for melodies and chord progressions alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .features import RATIO_BINS
from .index import NgramTable, ngram_keys

MATCH, NEAR, MISMATCH, GAP = 1.0, 0.5, -1.0, -1.0  # alignment scores (NEAR: same interval, other rhythm)
CANDIDATES = 8  # pieces aligned in full: the ones with the most n-grams in common


@dataclass
class Match:
    """The best-matching known piece for one sequence: the longest exact run (in codes), where it
    starts in the query and in which piece; the best piece by alignment and its score (the aligned
    codes' worth, see `align`). With `distinct`, a run is measured by the different n-grams it
    holds, so a progression that only repeats a common loop stays short however long it lasts."""

    run: int = 0
    run_start: int = 0
    run_piece: int = -1
    score: float = 0.0
    score_piece: int = -1


def best_match(
    query: np.ndarray, table: NgramTable, codes: np.ndarray, starts: np.ndarray, melody: bool, distinct: bool = False
) -> Match:
    """The query's longest run and best alignment against the indexed sequences."""
    found = Match()
    keys = ngram_keys(query, table.n)
    if not len(keys):
        return found
    at, pieces, positions = table.hits(keys)
    if not len(at):
        return found
    # Hits on one diagonal (position - query position) at consecutive query positions form a run.
    diagonal = positions - at
    order = np.lexsort((at, diagonal))
    at, pieces, diagonal = at[order], pieces[order], diagonal[order]
    breaks = np.flatnonzero((np.diff(diagonal) != 0) | (np.diff(at) != 1)) + 1
    run_starts = np.concatenate([[0], breaks])
    lengths = np.diff(np.concatenate([run_starts, [len(at)]]))
    if distinct:  # the different n-grams of each run (runs are short: chord changes)
        lengths = np.array([len(set(keys[at[a] : at[a] + n].tolist())) for a, n in zip(run_starts, lengths)])
    best = int(np.argmax(lengths))
    found.run, found.run_start = int(lengths[best]) + table.n - 1, int(at[run_starts[best]])
    found.run_piece = int(pieces[run_starts[best]])
    # Align the query with the pieces sharing the most n-grams (and the longest run's piece).
    shared = np.bincount(pieces, minlength=len(starts) - 1)
    chosen = list(np.argsort(-shared, kind="stable")[:CANDIDATES])
    if found.run_piece not in chosen:
        chosen.append(found.run_piece)
    for piece in chosen:
        score = align(query, codes[starts[piece] : starts[piece + 1]], melody)
        if score > found.score:
            found.score, found.score_piece = score, int(piece)
    return found


def align(query: np.ndarray, known: np.ndarray, melody: bool) -> float:
    """The best local alignment score of two code sequences (Smith-Waterman, linear gaps): +1 an
    equal code, +0.5 for a melody note with the same interval but another rhythm, -1 otherwise,
    -1 a gap. Rows are filled with numpy: the within-row gap chain is a running maximum."""
    if not len(query) or not len(known):
        return 0.0
    q, k = query.astype(int), known.astype(int)
    same = q[:, None] == k[None, :]
    scores = np.where(same, MATCH, MISMATCH)
    if melody:
        near = (q[:, None] // RATIO_BINS) == (k[None, :] // RATIO_BINS)
        scores = np.where(~same & near, NEAR, scores)
    columns = np.arange(len(k) + 1) * -GAP
    previous, best = np.zeros(len(k) + 1), 0.0
    for row in scores:
        current = np.zeros(len(k) + 1)
        current[1:] = np.maximum(0.0, np.maximum(previous[:-1] + row, previous[1:] + GAP))
        current = np.maximum.accumulate(current + columns) - columns  # gaps along the row
        best = max(best, float(current.max()))
        previous = current
    return best
