"""Explicit musical cues written in a description, in any of mmgen's languages: a tempo ("96 bpm",
"每分钟96拍", "90 Schläge pro Minute"), a key ("in D minor", "D小调", "en re menor", "Es-Dur", "ニ短調",
"라단조"), a meter ("3/4", "三拍子", "Walzer"), and what the words name (encoders/words.py).
Explicit cues beat what the sentence encoder infers; the app's controls beat both."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from ..errors import InvalidRequest
from ..music import PITCH_CLASS, Key, Meter, parse_key, parse_meter
from ..vocabulary import load_vocabulary
from .words import WordReading, normalize, read_words

_NUMBER = r"(?<![\d/.,])(\d{2,3}(?:[.,]\d+)?)(?![\d/])"
_ENGLISH_KEY = re.compile(
    r"\b(?:in\s+(?:the\s+key\s+of\s+)?)?([A-G](?:\s*(?:#|♯|♭|b(?![a-z])|-?\s*sharp|-?\s*flat))?)\s*"
    r"(major|minor|maj|min)\b"
    r"|\bin\s+([A-G](?:#|♯|♭|b)?m?)\b(?!\s*\w*\s*(?:bpm))",
)
_METER = re.compile(r"(?<![\d/])(2/4|3/4|4/4|5/4|6/8|12/8)(?![\d/])")
_LETTERS = {letter.lower(): pc for letter, pc in PITCH_CLASS.items()}


@dataclass
class PromptCues:
    tempo_bpm: float | None = None
    key: Key | None = None
    mode: str | None = None  # "major" | "minor" when only the mode is named
    meter: Meter | None = None
    words: WordReading | None = None  # everything the description names outright
    written: dict[str, tuple[str, str]] = field(default_factory=dict)  # cue -> (the words, what they mean)

    @property
    def language(self) -> str:
        return self.words.language if self.words else "en"

    @property
    def instruments(self) -> list[str]:
        """Instruments asked for, in the order written (not those refused, not drums or vocals)."""
        names: list[str] = []
        for mention in self.words.named("instruments") if self.words else []:
            if mention.name not in names:
                names.append(mention.name)
        return names


@cache
def _tempo_patterns() -> list[re.Pattern]:
    before, after = set(), set()
    for info in load_vocabulary()["languages"].values():
        before.update(normalize(w) for w in info["bpm_before"])
        after.update(normalize(w) for w in info["bpm_after"])
    alt = lambda words: "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return [
        re.compile(rf"{_NUMBER}\s*(?:{alt(after)})"),
        re.compile(rf"(?:{alt(before)})\s*[:：=]?\s*(?:of\s+|de\s+|von\s+)?{_NUMBER}"),
    ]


@cache
def _key_patterns() -> list[tuple[str, re.Pattern, dict[str, int]]]:
    """Per language: the pattern of "<accidental><note><accidental> <mode>" and its note names."""
    patterns = []
    for language, info in load_vocabulary()["languages"].items():
        notes = {**_LETTERS, **{normalize(n): pc for n, pc in info.get("notes", {}).items()}}
        alt = lambda words: "|".join(re.escape(normalize(w)) for w in sorted(words, key=len, reverse=True))
        sharp = [*info["sharp"], "#", "♯"]
        flat = [*info["flat"], "♭"]
        accidental = f"(?P<{{}}>{alt(sharp)}|{alt(flat)})"
        note = rf"(?<![a-z\u00c0-\u024f])(?P<note>{alt(notes)})"
        attached_flat = r"(?P<bflat>b(?![a-z]))?"  # "Bb", "eb" written with a letter b
        mode = rf"(?P<mode>{alt(info['major'] + info['minor'])})"
        pattern = (
            f"{accidental.format('pre')}?\\s*{note}{attached_flat}\\s*-?\\s*{accidental.format('post')}?"
            f"\\s*-?\\s*{mode}(?![a-z])"
        )
        patterns.append((language, re.compile(pattern), notes))
    return patterns


def _original(prompt: str, text: str, start: int, end: int) -> str:
    """The words as the user wrote them (case and all), where normalising kept the length."""
    return (prompt if len(prompt) == len(text) else text)[start:end].strip()


def _find_key(prompt: str, text: str, languages: list[str]) -> tuple[Key, str] | None:
    vocabulary = load_vocabulary()["languages"]
    order = sorted(_key_patterns(), key=lambda p: languages.index(p[0]) if p[0] in languages else 99)
    for language, pattern, notes in order:
        for match in pattern.finditer(text):
            info = vocabulary[language]
            pc = notes[match.group("note")]
            for accidental in (match.group("pre"), match.group("post")):
                if accidental:
                    pc += 1 if accidental in {normalize(w) for w in [*info["sharp"], "#", "♯"]} else -1
            if match.group("bflat"):
                pc -= 1
            mode = "minor" if match.group("mode") in {normalize(w) for w in info["minor"]} else "major"
            return Key(pc % 12, mode), _original(prompt, text, *match.span())
    return None


def _find_mode(text: str) -> tuple[str, str] | None:
    for info in load_vocabulary()["languages"].values():
        for mode, words in info.get("mode_alone", {}).items():
            for word in words:
                w = normalize(word)
                if re.search(rf"(?<![a-z\u00c0-\u024f]){re.escape(w)}(?![a-z\u00c0-\u024f로롭])", text):
                    return mode, word
    return None


def parse_cues(prompt: str, descriptors: dict | None = None) -> PromptCues:
    """`descriptors` is accepted for older callers; the vocabulary is read from assets/vocabulary."""
    text = normalize(prompt)
    words = read_words(prompt)
    cues = PromptCues(words=words)

    matches = [m for m in (p.search(text) for p in _tempo_patterns()) if m]
    if matches:  # "每分钟96拍": the words before and after the number, as one
        first = min(matches, key=lambda m: m.start())
        same = [m for m in matches if m.span(1) == first.span(1)]
        spelled = _original(prompt, text, first.start(), max(m.end() for m in same))
        cues.tempo_bpm = float(first.group(1).replace(",", "."))
        cues.written["tempo"] = (spelled, "")

    english = _ENGLISH_KEY.search(prompt)
    if english:
        try:
            if english.group(1):
                cues.key = parse_key(f"{english.group(1)} {english.group(2)}")
            else:
                cues.key = parse_key(english.group(3))
            cues.written["key"] = (english.group(0).strip(), "")
        except InvalidRequest:
            pass
    if cues.key is None:
        found = _find_key(prompt, text, words.languages)
        if found:
            cues.key, spelled = found
            cues.written["key"] = (spelled, "")
    if cues.key is None:
        mode = _find_mode(text)
        if mode:
            cues.mode = mode[0]
            cues.written["mode"] = (mode[1], "")

    meter = _METER.search(text)
    if meter:
        cues.meter = parse_meter(meter.group(1))
        cues.written["meter"] = (meter.group(1), "")
    else:
        named = words.named("meter")
        if named:
            cues.meter = parse_meter(named[0].name)
            cues.written["meter"] = (named[0].word, named[0].name)
    return cues
