"""A simulated rater for preference tuning: a scripted taste that stands in for a listener.

The rater prefers stepwise melodies (the share of a melody's moves that are a step or a repeated
note, at most 2 semitones). The preference is held out from the model's training: nothing but the
rater's A/B choices between takes carries it to DPO (mmgen/training/dpo.py), and it is judged on
plans and seeds no pair was drawn from. benchmarks/preference.py and tests/test_tuning.py use it.
"""

from __future__ import annotations

import itertools
from types import SimpleNamespace

STEP = 2  # semitones: a move of at most this is a step


def melody_pitches(lead) -> list[int]:
    """The melody's pitches in order, from a composer Lead (bars of Notes)."""
    return [note.pitch for bar in lead.melody for note in bar]


def stepwise(lead) -> float:
    """Share of the melody's moves of at most STEP semitones (0..1; 0 for fewer than 2 notes)."""
    pitches = melody_pitches(lead)
    moves = [abs(b - a) for a, b in itertools.pairwise(pitches)]
    return sum(m <= STEP for m in moves) / len(moves) if moves else 0.0


def sampling(weights: str = "shipped", temperature: float = 1.0) -> SimpleNamespace:
    """Sampling settings as a request gives them, with the checkpoint to play."""
    return SimpleNamespace(weights=weights, temperature=temperature, top_p=1.0, in_key=True)


def takes(decoder, plans, seeds, weights: str = "shipped") -> list[list]:
    """[plan][seed] lead sheets (with their token ids) the decoder's checkpoint `weights` writes."""
    settings = sampling(weights)
    return [[decoder.lead_sheet(plan, seed, sampling=settings) for seed in seeds] for plan in plans]


def rater_pairs(takes_per_plan: list[list], score=stepwise, per_plan: int = 2) -> list:
    """DPO pairs the rater would pick: in each plan, its `per_plan` best takes each against its
    `per_plan` worst (ties dropped)."""
    from ..training.dpo import Pair

    pairs = []
    for leads in takes_per_plan:
        ranked = sorted(leads, key=score)
        for worse in ranked[:per_plan]:
            for better in ranked[-per_plan:]:
                if score(better) > score(worse):
                    pairs.append(Pair(better.token_ids, worse.token_ids, "rater"))
    return pairs


def win_rate(tuned: list[float], reference: list[float]) -> float:
    """Share of paired takes (same plan and seed) the rater prefers from `tuned`; ties count half."""
    wins = sum(1.0 if a > b else 0.5 if a == b else 0.0 for a, b in zip(tuned, reference))
    return wins / max(1, len(tuned))
