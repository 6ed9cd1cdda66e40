"""Explicit musical cues written in a prompt: "96 bpm", "in D minor", "B flat major", "3/4",
"waltz", instrument names, tempo words. Explicit cues beat what the embedding infers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..errors import InvalidRequest
from ..music import Key, Meter, parse_key, parse_meter

_BPM_RE = re.compile(r"(\d{2,3}(?:\.\d+)?)\s*(?:bpm|beats per minute)\b", re.I)
_KEY_RE = re.compile(
    r"\b(?:in\s+(?:the\s+key\s+of\s+)?)?([A-G](?:\s*(?:#|♯|♭|b(?![a-z])|-?\s*sharp|-?\s*flat))?)\s*"
    r"(major|minor|maj|min)\b"
    r"|\bin\s+([A-G](?:#|♯|♭|b)?m?)\b(?!\s*\w*\s*(?:bpm))",
)
_METER_RE = re.compile(r"\b(2/4|3/4|4/4|5/4|6/8|12/8)\b")
_METER_WORDS = {"waltz": "3/4", "three four": "3/4", "jig": "6/8", "shuffle": "12/8"}
_MAJOR_MINOR_WORDS = {"major key": "major", "minor key": "minor"}


@dataclass
class PromptCues:
    tempo_bpm: float | None = None
    key: Key | None = None
    mode: str | None = None  # "major" | "minor" when only the mode is named
    meter: Meter | None = None
    instruments: list[str] = field(default_factory=list)  # descriptor names, in prompt order
    tempo_factor: float = 1.0
    styles: dict[str, str] = field(default_factory=dict)  # style named outright -> the word used
    reasons: dict[str, str] = field(default_factory=dict)


def parse_cues(prompt: str, descriptors: dict) -> PromptCues:
    text = prompt.lower()
    cues = PromptCues()

    bpm = _BPM_RE.search(prompt)
    if bpm:
        cues.tempo_bpm = float(bpm.group(1))
        cues.reasons["tempo"] = f'you wrote "{bpm.group(0)}"'

    key_match = _KEY_RE.search(prompt)
    if key_match:
        spelled = key_match.group(0).strip()
        try:
            if key_match.group(1):
                cues.key = parse_key(f"{key_match.group(1)} {key_match.group(2)}")
            else:
                cues.key = parse_key(key_match.group(3))
            cues.reasons["key"] = f'you wrote "{spelled}"'
        except InvalidRequest:
            pass
    if cues.key is None:
        for words, mode in _MAJOR_MINOR_WORDS.items():
            if words in text:
                cues.mode = mode
                cues.reasons["mode"] = f'you wrote "{words}"'

    meter = _METER_RE.search(prompt)
    if meter:
        cues.meter = parse_meter(meter.group(1))
        cues.reasons["meter"] = f'you wrote "{meter.group(1)}"'
    else:
        for word, meter_name in _METER_WORDS.items():
            if re.search(rf"\b{word}", text):
                cues.meter = parse_meter(meter_name)
                cues.reasons["meter"] = f'"{word}" means {meter_name} time'
                break

    # Longest words first, so "electric guitar" claims its span before "guitar" can.
    spans: list[tuple[int, int, str]] = []
    words = [(word, name) for name, entry in descriptors["instruments"].items() for word in entry["words"]]
    for word, name in sorted(words, key=lambda wn: -len(wn[0])):
        for hit in re.finditer(rf"\b{re.escape(word)}s?\b", text):
            if all(hit.end() <= a or hit.start() >= b for a, b, _ in spans):
                spans.append((hit.start(), hit.end(), name))
    for _, _, name in sorted(spans):
        if name not in cues.instruments:
            cues.instruments.append(name)

    for name, entry in descriptors["styles"].items():
        for word in entry.get("keywords", []):
            if re.search(rf"\b{re.escape(word)}\b", text):
                cues.styles[name] = word
                break

    for word, factor in sorted(descriptors["tempo_words"].items(), key=lambda kv: -len(kv[0])):
        if re.search(rf"\b{re.escape(word)}\b", text):
            cues.tempo_factor = factor
            cues.reasons["tempo_word"] = f'"{word}"'
            break
    return cues
