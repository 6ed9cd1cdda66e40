"""Reading the features and cues into the plan's choices: style (and a colouring style), moods,
meter, key, tempo and instruments.

Priority, highest first: the request's controls; words the description names outright, in any
language (a style, family, mood, use, instrument, tempo word, key or meter; "no drums" and "not too
fast" included); then what the sentence encoder (or a picture's reading) suggests. Each choice
records its reason in words.
"""

from __future__ import annotations

import random
import re

import numpy as np

from ..encoders.cues import PromptCues
from ..encoders.text import TextFeatures
from ..encoders.words import Mention
from ..errors import InvalidRequest
from ..music import Key, Meter, parse_key, parse_meter
from ..request import GenerationRequest
from .messages import joined, mood_name, own_word, say, style_name

DEFAULT_STYLE = "pop"
# Scores are similarities above each descriptor's neutral baseline (see encoders/text.py).
STYLE_MATCH_MIN = 0.05  # below this the prompt says nothing about style
USE_MATCH_MIN = 0.12  # a use ("cooking video") must clear this, and be near the best use
USE_WEIGHT = 1.0  # how much a matched use ("cooking video") pulls toward its styles and moods
NAMED_USE_SCORE = 0.3  # a use named outright ("美食视频") counts as this strong a match
INSTRUMENT_HINT = 0.25  # an instrument that belongs to a style ("guzheng") pulls toward it
MOOD_HINT = 0.08  # a mood named outright pulls toward the styles it suits
COLOUR_GAP = 15  # two styles this close together make one ("lofi jazz", "dubstep with orchestral strings")
MOOD_MATCH_MIN = 0.12  # the encoder's mood must clear this when the description names none
SECOND_MOOD_MIN = 0.15  # and a second one this
FAMILY_MARGIN = 0.05  # the encoder must prefer a family's style by this much over the family's default
TEMPO_REACH = (0.85, 1.04)  # tempo words move the tempo this far outside the style's range, no further
COMFORTABLE_TONICS = {"major": [0, 2, 5, 7, 9, 10, 3], "minor": [9, 2, 4, 7, 0, 5, 11]}
SHIFTS = {"darker": (-0.35, 0.0), "brighter": (0.35, 0.0), "calmer": (0.0, -0.2), "more_intense": (0.0, 0.2)}
TEMPO_SHIFTS = {"faster": 1.1, "slower": 0.9}


def _refused_styles(cues: PromptCues, vocabulary: dict) -> set[str]:
    words = cues.words
    if words is None:
        return set()
    refused = {m.name for m in words.refused("styles")}
    for instrument in words.refused("instruments"):  # "no piano": not a solo piano piece either
        suggests = vocabulary["instruments"][instrument.name].get("suggests")
        if (
            suggests
            and vocabulary["styles"][suggests]["instruments"].get("melody")
            == vocabulary["instruments"][instrument.name]["program"]
        ):
            refused.add(suggests)
    for family in words.refused("families"):
        refused |= {name for name, s in vocabulary["styles"].items() if s["family"] == family.name}
    return refused


def _family_style(family: str, cues: PromptCues, features: TextFeatures | None, vocabulary: dict) -> str:
    """The style a family word stands for: with a tempo given, the family's style whose range
    holds it; else the one the sentence encoder prefers, if it clearly does; else the default."""
    members = [name for name, s in vocabulary["styles"].items() if s["family"] == family]
    if cues.tempo_bpm:
        ranges = {n: vocabulary["styles"][n]["tempo"] for n in members}
        holding = [n for n, (low, high) in ranges.items() if low <= cues.tempo_bpm <= high]
        if holding:
            default = vocabulary["families"][family]["default"]
            centre = lambda n: abs(sum(ranges[n]) / 2 - cues.tempo_bpm)
            return default if default in holding else min(holding, key=centre)
    if features is not None and features.scores.get("styles"):
        default = vocabulary["families"][family]["default"]
        best = max(members, key=lambda n: features.scores["styles"].get(n, -1))
        score = features.scores["styles"].get(best, -1)
        if score >= STYLE_MATCH_MIN and score >= features.scores["styles"].get(default, -1) + FAMILY_MARGIN:
            return best
    return vocabulary["families"][family]["default"]


def choose_style(
    features: TextFeatures | None,
    cues: PromptCues,
    vocabulary: dict,
    reasons: dict,
    source: str = "the description",
) -> tuple[str, str | None, list[str]]:
    """(style, colouring style or None, uses). Named styles win; two named at once make the head
    (the last of a compound like "lofi jazz", else the first) and its colour."""
    words, lang = cues.words, cues.language
    source = say("the_description", lang) if source == "the description" else source
    refused = _refused_styles(cues, vocabulary)
    uses = _uses(features, cues, vocabulary)
    named: list[tuple[Mention, str]] = []
    for mention in words.mentions if words else []:
        if mention.negated:
            continue
        if mention.kind == "styles" and mention.name not in refused:
            named.append((mention, mention.name))
        elif mention.kind == "families":
            style = _family_style(mention.name, cues, features, vocabulary)
            if style not in refused:
                named.append((mention, style))
    specific = [(m, s) for m, s in named if m.kind == "styles"]
    if specific:
        head_mention, head = _head(specific, vocabulary)
        colour = next(
            (s for m, s in named if s != head and _one_phrase(m, head_mention, cues.words.text)),
            None,
        )
        reasons["style"] = say("you_wrote", lang, word=head_mention.word)
        if colour:
            reasons["style"] += say("style_coloured", lang, label=style_name(colour, lang))
        return head, colour, list(uses)
    if named:
        mention, style = named[0]
        family = vocabulary["families"][mention.name]["label"]
        reasons["style"] = say("style_family", lang, word=mention.word, label=style_name(style, lang), family=family)
        return style, None, list(uses)
    if features is None and not (words and words.mentions):
        reasons["style"] = say("style_none_given", lang)
        return DEFAULT_STYLE, None, []

    totals = dict.fromkeys(vocabulary["styles"], 0.0)
    if features is not None:
        for name, score in features.scores.get("styles", {}).items():
            totals[name] = score
    for use, strength in uses.items():
        for rank, style in enumerate(vocabulary["uses"][use]["styles"]):
            totals[style] += USE_WEIGHT * strength / (1 + rank)
    hinted = ""
    for mention in words.named("instruments") if words else []:
        suggests = vocabulary["instruments"][mention.name].get("suggests")
        if suggests:
            totals[suggests] += INSTRUMENT_HINT
            hinted = hinted or mention.word
    for mention in words.named("moods") if words else []:
        for rank, style in enumerate(vocabulary["moods"][mention.name].get("styles", [])):
            totals[style] += MOOD_HINT / (1 + rank)
    for name in refused:
        totals[name] = -np.inf
    style, total = max(totals.items(), key=lambda kv: kv[1])
    label = style_name(style, lang)
    if total < STYLE_MATCH_MIN:
        style = DEFAULT_STYLE if DEFAULT_STYLE not in refused else next(n for n in totals if n not in refused)
        reasons["style"] = _sourced("style_unclear", source, lang, label=style_name(style, lang))
        return style, None, list(uses)
    direct = features.scores["styles"].get(style, 0.0) if features is not None else 0.0
    if hinted and vocabulary["instruments"].get(_instrument_named(cues, hinted), {}).get("suggests") == style:
        reasons["style"] = say("style_instrument", lang, word=hinted, label=label)
    elif uses and total > direct + 1e-6 and any(style in vocabulary["uses"][u]["styles"] for u in uses):
        reasons["style"] = _sourced("style_use", source, lang, uses=_use_words(uses, cues, lang))
    else:
        reasons["style"] = _sourced("style_closest", source, lang, label=label, score=f"{direct:+.2f}")
    return style, None, list(uses)


def _sourced(key: str, source: str, language: str, **values) -> str:
    """A sentence about what `source` reads; English sentences agree with a plural source
    ("the lyrics read", "the picture reads")."""
    text = say(key, language, source=source, **values)
    if language == "en" and (source.startswith("the lyrics") or " and " in source):
        text = text.replace(f"{source} reads", f"{source} read").replace(f"{source} suggests", f"{source} suggest")
    return text


def _label(style_info: dict, language: str) -> str:
    return own_word(style_info, language, style_info["label"])


def _use_words(uses, cues: PromptCues, language: str) -> str:
    """The uses as the description wrote them, else by name."""
    written = {m.name: m.word for m in cues.words.named("uses")} if cues.words else {}
    return joined([written.get(u, u.replace("_", " ")) for u in uses], language)


def _cue_reason(cues: PromptCues, what: str) -> str:
    """'you wrote "96 bpm"' in the description's language."""
    written = cues.written[what]
    if what == "meter" and written[1]:
        return say("meter_word", cues.language, word=written[0], meter=written[1])
    return say("you_wrote", cues.language, word=written[0])


def _instrument_named(cues: PromptCues, word: str) -> str:
    return next((m.name for m in cues.words.named("instruments") if m.word == word), "")


def _one_phrase(a: Mention, b: Mention, text: str) -> bool:
    """Two style words that make one ("lofi jazz", "dubstep with orchestral strings"): close
    together, with no sentence end between them."""
    close = abs(a.start - b.start) <= COLOUR_GAP + len(a.word) + len(b.word)
    return close and not re.search(r"[.;!?。！？]", text[min(a.end, b.end) : max(a.start, b.start)])


def _head(named: list[tuple[Mention, str]], vocabulary: dict) -> tuple[Mention, str]:
    """The style that sets the beat: of those named, the one whose family leads (hip hop and
    electronic lead, classical follows: "orchestral dubstep", "lofi jazz"); a tie, the first."""
    leads = lambda ms: vocabulary["families"][vocabulary["styles"][ms[1]]["family"]].get("leads", 0)
    return max(named, key=lambda ms: (leads(ms), -ms[0].start))


def _uses(features: TextFeatures | None, cues: PromptCues, vocabulary: dict) -> dict[str, float]:
    """use -> strength: those named outright, then the encoder's best one or two."""
    uses: dict[str, float] = {}
    for mention in cues.words.named("uses") if cues.words else []:
        uses.setdefault(mention.name, NAMED_USE_SCORE)
    if features is not None and features.scores.get("uses"):
        ranked = features.ranked("uses")
        for name, score in ranked[:2]:
            if score >= max(USE_MATCH_MIN, ranked[0][1] - 0.1):
                uses[name] = max(uses.get(name, 0.0), score)
    return dict(list(uses.items())[:3])


def choose_moods(
    features: TextFeatures | None,
    cues: PromptCues,
    vocabulary: dict,
    uses: list[str],
    reasons: dict,
    source: str = "the description",
) -> list[str]:
    words, lang = cues.words, cues.language
    source = say("the_description", lang) if source == "the description" else source
    refused = {m.name for m in words.refused("moods")} if words else set()
    named: list[Mention] = []
    for mention in words.named("moods") if words else []:
        if mention.name not in refused and mention.name not in [m.name for m in named]:
            named.append(mention)
    if named:
        moods = [m.name for m in named[:2]]
        reasons["mood"] = say("mood_named", lang, words=joined([f'"{m.word}"' for m in named[:2]], lang))
        return moods
    if features is None and not uses:
        reasons["mood"] = say("mood_none_given" if not words or not words.mentions else "mood_none_named", lang)
        return []
    totals = dict(features.scores.get("moods", {})) if features is not None else dict.fromkeys(vocabulary["moods"], 0.0)
    strengths = _uses(features, cues, vocabulary)
    for use in uses:
        for mood in vocabulary["uses"][use]["moods"]:
            totals[mood] = totals.get(mood, 0.0) + USE_WEIGHT * strengths.get(use, NAMED_USE_SCORE)
    for mood in refused:
        totals.pop(mood, None)
    ranked = sorted(totals.items(), key=lambda kv: -kv[1])
    if not ranked or ranked[0][1] < MOOD_MATCH_MIN:
        reasons["mood"] = _sourced("mood_unclear", source, lang)
        return []
    moods = [ranked[0][0]] + [m for m, s in ranked[1:2] if s >= max(SECOND_MOOD_MIN, ranked[0][1] - 0.03)]
    reasons["mood"] = _sourced("mood_read", source, lang, moods=joined([mood_name(m, lang) for m in moods], lang)) + (
        say("mood_for_uses", lang, uses=_use_words(uses, cues, lang)) if uses else ""
    )
    return moods


def mood_degree(cues: PromptCues, mood: str) -> float:
    """How strongly a mood was asked for: "very sad" 1.6, "a bit sad" 0.5, else 1."""
    for mention in cues.words.named("moods") if cues.words else []:
        if mention.name == mood:
            return mention.degree
    return 1.0


def feeling(
    moods: list[str], cues: PromptCues, style_info: dict, vocabulary: dict, reasons: dict
) -> tuple[float, float]:
    """(valence, arousal) of the piece: its moods (intensity words stretch them away from neutral),
    the style's own colour, and comparisons such as "a bit darker"."""
    if moods:
        infos = [(vocabulary["moods"][m], mood_degree(cues, m)) for m in moods]
        valence = float(np.mean([0.3 + (info["valence"] - 0.3) * d for info, d in infos]))
        arousal = float(np.mean([0.5 + (info["arousal"] - 0.5) * d for info, d in infos]))
    else:
        valence, arousal = 0.3, style_info["energy"]
    valence += style_info.get("valence", 0.0)
    shifted = []
    for mention in cues.words.named("shift") if cues.words else []:
        dv, da = SHIFTS.get(mention.name, (0.0, 0.0))
        valence, arousal = valence + dv * mention.degree, arousal + da * mention.degree
        if dv or da:
            shifted.append(f'"{mention.word}"')
    if shifted:
        reasons["feeling"] = say("mood_moved", cues.language, words=joined(shifted, cues.language))
    return float(np.clip(valence, -1, 1)), float(np.clip(arousal, 0, 1))


def choose_meter(request: GenerationRequest, cues: PromptCues, style_info: dict, reasons: dict) -> Meter:
    lang = cues.language
    if request.meter:
        reasons["meter"] = say("you_chose", lang)
        return parse_meter(request.meter)
    if cues.meter:
        reasons["meter"] = _cue_reason(cues, "meter")
        return cues.meter
    reasons["meter"] = say("meter_usual", lang, label=_label(style_info, lang))
    return parse_meter(style_info["meters"][0])


def choose_key(
    request: GenerationRequest, cues: PromptCues, valence: float, style_info: dict, rng: random.Random, reasons: dict
) -> Key:
    lang = cues.language
    if request.key:
        reasons["key"] = say("you_chose", lang)
        return parse_key(request.key)
    if cues.key:
        reasons["key"] = _cue_reason(cues, "key")
        return cues.key
    if cues.mode:
        mode, why = cues.mode, _cue_reason(cues, "mode")
    elif style_info.get("mode"):
        mode = style_info["mode"]
        why = say("key_style_mode", lang, label=_label(style_info, lang), mode=say(mode, lang))
    elif valence < 0:
        mode, why = "minor", say("key_minor", lang)
    else:
        mode, why = "major", say("key_major", lang)
    tonic = rng.choice(COMFORTABLE_TONICS[mode])
    reasons["key"] = say("key_seed", lang, why=why)
    return Key(tonic, mode)


def tempo_factor(cues: PromptCues) -> tuple[float, list[str]]:
    """The factor tempo words and comparisons put on the style's tempo, and the words."""
    factor, said = 1.0, []
    for mention in cues.words.named("tempo") if cues.words else []:
        base = float(mention.name)
        if mention.limited:  # "not too fast": no faster than usual; "not too slow": no slower
            base = min(base, 0.95) if base > 1 else max(base, 1.0)
        else:
            base = base**mention.degree
        factor *= base
        said.append(f'"{mention.word}"')
    for mention in cues.words.named("shift") if cues.words else []:
        if mention.name in TEMPO_SHIFTS:
            factor *= TEMPO_SHIFTS[mention.name] ** mention.degree
            said.append(f'"{mention.word}"')
    return float(np.clip(factor, 0.5, 1.6)), said


def choose_tempo(
    request: GenerationRequest,
    cues: PromptCues,
    style_info: dict,
    arousal: float,
    meter: Meter,
    reasons: dict,
    colour_info: dict | None = None,
    taste=None,
) -> tuple[float, bool]:
    """(tempo, whether it was asked for). An open tempo sits in the style's range where the mood's
    arousal puts it, moved halfway toward the part of the range a user's `taste` liked."""
    lang = cues.language
    if request.tempo_bpm:
        reasons["tempo"] = say("you_chose", lang)
        return float(request.tempo_bpm), True
    if cues.tempo_bpm:
        if not 30 <= cues.tempo_bpm <= 300:
            raise InvalidRequest(f"The prompt asks for {cues.tempo_bpm:g} BPM; choose a tempo between 30 and 300.")
        reasons["tempo"] = _cue_reason(cues, "tempo")
        return cues.tempo_bpm, True
    low, high = style_info["tempo"]
    if colour_info is not None:  # "lofi jazz": the tempo leans toward the colouring style's
        low, high = (low + colour_info["tempo"][0]) / 2, (high + colour_info["tempo"][1]) / 2
    factor, said = tempo_factor(cues)
    position = float(np.clip(arousal, 0, 1))
    liked = taste.tempo_lean() if taste is not None else None
    if liked is not None:
        position = (position + liked) / 2
    tempo = (low + (high - low) * position) * factor
    tempo = float(np.clip(tempo, low * TEMPO_REACH[0], high * TEMPO_REACH[1]))  # "fast punk" is still punk
    if meter.is_compound:  # style tempos count quarter notes; compound meters count dotted quarters
        tempo /= 1.5
    tempo = float(np.clip(tempo, 30, 300))
    why = say("tempo_range", lang, label=_label(style_info, lang), low=f"{low:g}", high=f"{high:g}")
    if said:
        why += say("tempo_moved", lang, words=joined(said, lang))
    if liked is not None:
        end = "tempo_end_slow" if liked < 0.4 else "tempo_end_fast" if liked > 0.6 else "tempo_end_middle"
        why += say("tempo_leaned", lang, end=say(end, lang))
    reasons["tempo"] = why
    return tempo, False
