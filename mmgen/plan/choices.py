"""Reading the features and cues into the plan's choices: style, moods, meter, key, tempo and
instruments. The request's controls win over explicit words in the prompt, which win over what
the text encoder (or a picture's reading) suggests; each choice records its reason in words."""

from __future__ import annotations

import random

import numpy as np

from ..encoders.cues import PromptCues
from ..encoders.text import TextFeatures
from ..errors import InvalidRequest
from ..music import Key, Meter, parse_key, parse_meter
from ..request import GenerationRequest

DEFAULT_STYLE = "pop"
# Scores are similarities above each descriptor's neutral baseline (see encoders/text.py).
STYLE_MATCH_MIN = 0.05  # below this the prompt says nothing about style
USE_MATCH_MIN = 0.12  # a use ("cooking video") must clear this, and be near the best use
KEYWORD_BONUS = 0.35  # a style named outright ("jazz") beats a vaguer semantic match
USE_WEIGHT = 1.0  # how much a matched use ("cooking video") pulls toward its styles and moods
COMFORTABLE_TONICS = {"major": [0, 2, 5, 7, 9, 10, 3], "minor": [9, 2, 4, 7, 0, 5, 11]}


def _verb(source: str, singular: str) -> str:
    """ "reads" after "the picture", "read" after "the lyrics" or "the video and the description"."""
    return singular[:-1] if source.startswith("the lyrics") or " and " in source else singular


def choose_style(
    features: TextFeatures | None, cues: PromptCues, descriptors: dict, reasons: dict, source: str = "the description"
) -> tuple[str, list[str]]:
    if features is None:
        reasons["style"] = "no description was given, so a light, neutral pop arrangement"
        return DEFAULT_STYLE, []
    ranked_uses = features.ranked("uses")
    uses = [name for name, score in ranked_uses[:2] if score >= max(USE_MATCH_MIN, ranked_uses[0][1] - 0.1)]
    totals = dict(features.scores["styles"])
    for use in uses:
        for style in descriptors["uses"][use]["styles"]:
            totals[style] += (
                USE_WEIGHT * features.scores["uses"][use] / (1 + descriptors["uses"][use]["styles"].index(style))
            )
    for named in cues.styles:
        totals[named] += KEYWORD_BONUS
    style, total = max(totals.items(), key=lambda kv: kv[1])
    direct = features.scores["styles"][style]
    if style in cues.styles:
        reasons["style"] = f'you wrote "{cues.styles[style]}"'
        return style, uses
    if total < STYLE_MATCH_MIN:
        reasons["style"] = f"{source} {_verb(source, 'suggests')} no style clearly, so a light, neutral pop arrangement"
        return DEFAULT_STYLE, uses
    why = f"{source} {_verb(source, 'reads')} closest to {descriptors['styles'][style]['label']} (score {direct:+.2f})"
    if uses and total > direct + 1e-6:
        why = f"a usual choice for {' and '.join(uses)}, which {source} reads as"
    reasons["style"] = why
    return style, uses


def choose_moods(
    features: TextFeatures | None,
    descriptors: dict,
    uses: list[str],
    style_info: dict,
    reasons: dict,
    source: str = "the description",
) -> list[str]:
    if features is None:
        reasons["mood"] = "no description was given"
        return []
    totals = dict(features.scores["moods"])
    for use in uses:
        for mood in descriptors["uses"][use]["moods"]:
            totals[mood] += USE_WEIGHT * features.scores["uses"][use]
    ranked = sorted(totals.items(), key=lambda kv: -kv[1])
    if ranked[0][1] < STYLE_MATCH_MIN:
        reasons["mood"] = f"{source} {_verb(source, 'suggests')} no mood, so the style's own character"
        return []
    moods = [ranked[0][0]] + [m for m, s in ranked[1:2] if s >= max(0.1, ranked[0][1] - 0.05)]
    reasons["mood"] = (
        f"{source} {_verb(source, 'reads')} as "
        + " and ".join(moods)
        + (f" (as suits {' and '.join(uses)})" if uses else "")
    )
    return moods


def choose_meter(request: GenerationRequest, cues: PromptCues, style_info: dict, reasons: dict) -> Meter:
    if request.meter:
        reasons["meter"] = "you chose it"
        return parse_meter(request.meter)
    if cues.meter:
        reasons["meter"] = cues.reasons["meter"]
        return cues.meter
    reasons["meter"] = f"the usual time signature of {style_info['label']}"
    return parse_meter(style_info["meters"][0])


def choose_key(request: GenerationRequest, cues: PromptCues, valence: float, rng: random.Random, reasons: dict) -> Key:
    if request.key:
        reasons["key"] = "you chose it"
        return parse_key(request.key)
    if cues.key:
        reasons["key"] = cues.reasons["key"]
        return cues.key
    if cues.mode:
        mode, why = cues.mode, cues.reasons["mode"]
    elif valence < 0:
        mode, why = "minor", "minor suits the darker mood"
    else:
        mode, why = "major", "major suits the brighter mood"
    tonic = rng.choice(COMFORTABLE_TONICS[mode])
    reasons["key"] = f"{why}; the tonic was picked by the seed"
    return Key(tonic, mode)


def choose_tempo(
    request: GenerationRequest, cues: PromptCues, style_info: dict, arousal: float, meter: Meter, reasons: dict
) -> tuple[float, bool]:
    if request.tempo_bpm:
        reasons["tempo"] = "you chose it"
        return float(request.tempo_bpm), True
    if cues.tempo_bpm:
        if not 30 <= cues.tempo_bpm <= 300:
            raise InvalidRequest(f"The prompt asks for {cues.tempo_bpm:g} BPM; choose a tempo between 30 and 300.")
        reasons["tempo"] = cues.reasons["tempo"]
        return cues.tempo_bpm, True
    low, high = style_info["tempo"]
    tempo = (low + (high - low) * float(np.clip(arousal, 0, 1))) * cues.tempo_factor
    if meter.is_compound:  # style tempos count quarter notes; compound meters count dotted quarters
        tempo /= 1.5
    tempo = float(np.clip(tempo, 30, 300))
    why = f"{style_info['label']} usually sits at {low}–{high} BPM; the mood set where in that range"
    if cues.tempo_factor != 1.0:
        why += f", and {cues.reasons['tempo_word']} moved it"
    reasons["tempo"] = why
    return tempo, False


def choose_instruments(cues: PromptCues, style_info: dict, descriptors: dict, reasons: dict) -> dict[str, int]:
    instruments = dict(style_info["instruments"])
    asked = [descriptors["instruments"][n]["program"] for n in cues.instruments]
    for role, program in zip(("melody", "chords"), asked):
        instruments[role] = program
    if cues.instruments:
        reasons["instruments"] = f"{', '.join(cues.instruments)} as you asked, over the {style_info['label']} band"
    else:
        reasons["instruments"] = f"the usual {style_info['label']} line-up"
    return instruments
