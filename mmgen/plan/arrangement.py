"""The band: which instrument plays each role, and how the moods and the words change the style's
arrangement (a colouring style's instruments and patterns, "no drums", a softer kit, a pad,
a higher or lower melody)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from ..encoders.cues import PromptCues
from .choices import mood_degree
from .messages import joined, mood_name, own_word, say, style_name

PATTERN_OF_ROLE = {"drums": "groove", "bass": "bass", "chords": "comp"}  # what a colour lends with a role
PAD_PROGRAM = {"electronic": 89, "hiphop": 89, "pop": 89}  # a mood's pad, by family; else strings
STRINGS = 48
FALLBACK_GROOVE = "pop"  # drums asked for in a style that has none
DRUM_CAPS = {"soft": 1, "still": 0}  # a mood's "drums": the groove's busiest layer it allows


@dataclass
class Band:
    instruments: dict[str, int]  # role -> General MIDI program (drums: the kit)
    overrides: dict[str, str] = field(default_factory=dict)  # groove / bass / comp pattern names
    register_shift: int = 0  # semitones the melody moves
    density_shift: float = 0.0  # melody notes per beat added
    drum_level_cap: int = 2  # the groove's busiest layer: 0 lightest .. 2 all
    excluded: list[str] = field(default_factory=list)  # what the description refused


def instrument_name(program: int, role: str, vocabulary: dict, language: str = "en") -> str:
    """The instrument in the reader's words (its first word in the language, else its English name)."""
    for name, entry in vocabulary["instruments"].items():
        if (role == "drums" and name == "drums") or (role != "drums" and entry["program"] == program):
            return own_word(entry, language, name)
    import pretty_midi

    name = pretty_midi.program_to_instrument_name(program).lower()  # e.g. "lead 1 (square)"
    family = re.match(r"(lead|pad) \d \((.+)\)", name)
    return f"{family.group(2)} synth {family.group(1)}" if family else name


def choose_band(
    cues: PromptCues,
    style: str,
    colour: str | None,
    moods: list[str],
    vocabulary: dict,
    reasons: dict,
    taste=None,
) -> Band:
    """The style's line-up, changed by a colouring style, the moods and the words; then a user's
    `taste` (feedback.RewardModel) may give a part nobody chose the instrument they liked."""
    style_info, lang = vocabulary["styles"][style], cues.language
    band = Band(instruments=dict(style_info["instruments"]))
    chosen = {"drums"}  # roles the words or a colouring style decided: a taste never changes them
    notes: list[str] = []
    if colour:
        colour_info = vocabulary["styles"][colour]
        for role in colour_info.get("colour", []):
            if role in colour_info["instruments"]:
                band.instruments[role] = colour_info["instruments"][role]
                chosen.add(role)
                pattern = PATTERN_OF_ROLE.get(role)
                if pattern and colour_info.get(pattern):
                    band.overrides[pattern] = colour_info[pattern]
        notes.append(
            say("colours", lang, label=style_name(colour, lang), roles=joined(colour_info.get("colour", []), lang))
        )

    for name in moods:
        mood, degree = vocabulary["moods"][name], mood_degree(cues, name)
        band.register_shift += round(mood.get("register", 0) * degree / len(moods))
        band.density_shift += mood.get("density", 0.0) * degree / len(moods)
        band.drum_level_cap = min(band.drum_level_cap, DRUM_CAPS.get(mood.get("drums", ""), 2))
        if mood.get("pad") and "pad" not in band.instruments:
            band.instruments["pad"] = PAD_PROGRAM.get(style_info["family"], STRINGS)
            notes.append(say("mood_pad", lang, mood=mood_name(name, lang)))

    asked = cues.instruments
    programs = {n: vocabulary["instruments"][n]["program"] for n in asked}
    pitched = [n for n in asked if programs[n] >= 0]
    for role, name in zip(("melody", "chords"), pitched):
        band.instruments[role] = programs[name]
        chosen.add(role)
    if "drums" in asked and "drums" not in band.instruments:
        band.instruments["drums"] = 0
        band.overrides.setdefault("groove", FALLBACK_GROOVE)
    if pitched:
        asked_words = {m.name: m.word for m in cues.words.named("instruments")} if cues.words else {}
        notes.insert(0, say("asked", lang, names=joined([asked_words.get(n, n) for n in pitched], lang)))

    for mention in cues.words.refused("instruments") if cues.words else []:
        name = mention.name
        band.excluded.append(name)
        if name in ("drums",):
            band.instruments.pop("drums", None)
            band.instruments.pop("timpani", None)
        elif name != "vocals":
            program = vocabulary["instruments"][name]["program"]
            for role in [r for r, p in band.instruments.items() if p == program and r != "drums"]:
                if sum(1 for r in band.instruments if r != "drums") > 1:
                    del band.instruments[role]
        notes.append(
            say("no_instrument", lang, name=own_word(vocabulary["instruments"][name], lang, name), word=mention.word)
        )

    if taste is not None:
        notes.extend(_lean_toward_taste(band, chosen, style_info["family"], vocabulary, taste, lang))
    band.density_shift = float(np.clip(band.density_shift, -0.3, 0.3))
    line_up = ", ".join(dict.fromkeys(instrument_name(p, r, vocabulary, lang) for r, p in _ordered(band.instruments)))
    reasons["instruments"] = say("line_up", lang, line_up=line_up, label=style_name(style, lang)) + (
        f"; {'; '.join(notes)}" if notes else ""
    )
    return band


def _lean_toward_taste(band: Band, chosen: set[str], family: str, vocabulary: dict, taste, lang: str) -> list[str]:
    """Give each open part the instrument this user liked in that part, among those the styles of
    the same family use for it (so a taste for saxophone leads reaches jazz, not metal) and never
    one the description refused. Changes `band`; returns what to say about it."""
    known = vocabulary["instruments"]
    refused = {known[name]["program"] for name in band.excluded if name in known}
    kin = [info["instruments"] for info in vocabulary["styles"].values() if info["family"] == family]
    notes = []
    for role, program in sorted(band.instruments.items()):
        if role in chosen:
            continue
        candidates = sorted({line_up[role] for line_up in kin if role in line_up} - refused | {program})
        liked = taste.instrument_lean(role, program, candidates)
        if liked is not None:
            band.instruments[role] = liked
            name, instead = (instrument_name(p, role, vocabulary, lang) for p in (liked, program))
            notes.append(say("instrument_leaned", lang, name=name, instead=instead))
    return notes


def _ordered(instruments: dict[str, int]) -> list[tuple[str, int]]:
    order = ("melody", "chords", "pad", "ostinato", "bass", "timpani", "drums")
    return sorted(instruments.items(), key=lambda rp: order.index(rp[0]) if rp[0] in order else 99)
