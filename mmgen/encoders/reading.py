"""A `Reading`: what a picture or a video says about the music, in the planner's terms.

Its descriptor scores have the same shape as the text encoder's (category -> name -> score), so
the planner treats a picture like a prompt; the valence and arousal behind them are kept for the
key and tempo; a video adds its timeline (duration, main cuts, energy over time).

With a prompt too, the two readings are averaged (TEXT_WEIGHT), and explicit words in the
prompt (a style named outright, a tempo, a key) still win over both: the prompt refines the
picture's reading.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

TEXT_WEIGHT = 0.5  # share of the prompt when a prompt and a picture are both given
NEUTRAL_VALENCE = 0.3  # where a style with no valence offset sits (as the planner assumes)
SCORE_PEAK, SCORE_FLOOR, SCORE_WIDTH = 0.40, 0.05, 0.18  # within the text encoder's score range


@dataclass
class Reading:
    scores: dict[str, dict[str, float]]  # like TextFeatures.scores: styles, moods, uses
    valence: float  # -1 (sad, dark) .. 1 (happy, bright)
    arousal: float  # 0 (still) .. 1 (intense)
    reasons: dict[str, str] = field(default_factory=dict)  # plain words: what led to what
    details: dict = field(default_factory=dict)  # measured features, for the report
    duration_s: float | None = None  # a video's exact length
    cuts_s: list[float] = field(default_factory=list)  # main scene cuts, seconds
    energy_s: list[tuple[float, float]] = field(default_factory=list)  # (time s, energy 0..1)


def va_scores(valence: float, arousal: float, descriptors: dict) -> dict[str, dict[str, float]]:
    """Scores of each mood and style by its closeness to (valence, arousal). Arousal weighs more
    for styles (a style's mode can follow the valence; its pace cannot). Uses are not read from
    pictures (score -1, never chosen)."""

    def score(dv: float, da: float, wv: float, wa: float) -> float:
        return SCORE_PEAK * math.exp(-(wv * dv * dv + wa * da * da) / SCORE_WIDTH) - SCORE_FLOOR

    moods = {
        name: score(valence - m["valence"], arousal - m["arousal"], 1.0, 1.0)
        for name, m in descriptors["moods"].items()
    }
    styles = {
        name: score(valence - (NEUTRAL_VALENCE + s.get("valence", 0.0)), arousal - s["energy"], 0.15, 2.0)
        for name, s in descriptors["styles"].items()
    }
    return {"moods": moods, "styles": styles, "uses": dict.fromkeys(descriptors["uses"], -1.0)}


def blend_scores(text: dict | None, reading: Reading) -> dict[str, dict[str, float]]:
    """The prompt's scores and a reading's, averaged where both exist (uses come from the
    prompt alone: a picture does not say what the video is for)."""
    if text is None:
        return reading.scores

    def mixed(category: str, name: str, value: float) -> float:
        if category == "uses" or name not in reading.scores.get(category, {}):
            return value
        return TEXT_WEIGHT * value + (1 - TEXT_WEIGHT) * reading.scores[category][name]

    return {
        category: {name: mixed(category, name, value) for name, value in names.items()}
        for category, names in text.items()
    }
