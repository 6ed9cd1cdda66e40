"""The vocabulary mmgen reads descriptions with and plans from: styles, moods, uses, instruments,
style families and languages, one TOML table per entry in `assets/vocabulary/`.

Adding a style, a mood or a language is one entry in one file; nothing else changes. The loaded
vocabulary is a plain dict (category -> name -> entry), checked once here so that a mistake in the
data fails loudly at start-up rather than in the middle of a request.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

from .paths import ASSETS

VOCABULARY_DIR = ASSETS / "vocabulary"
CATEGORIES = ("styles", "moods", "uses", "instruments", "families", "languages")
LANGUAGES = ("en", "zh", "es", "ja", "ko", "pt", "fr", "de", "hi")
ROLES = ("melody", "chords", "pad", "bass", "ostinato", "timpani", "drums")
STYLE_FIELDS = ("label", "family", "tempo", "meters", "energy", "instruments", "phrases", "arc", "ring_s", "swing")


class VocabularyError(ValueError):
    """The vocabulary files disagree with themselves (a developer's mistake, not a user's)."""


@cache
def load_vocabulary(directory: Path = VOCABULARY_DIR) -> dict:
    """category -> name -> entry. Each entry's `words` is {language: [lowercase words]}."""
    vocabulary = {}
    for category in CATEGORIES:
        with open(directory / f"{category}.toml", "rb") as f:
            vocabulary[category] = tomllib.load(f)
    _check(vocabulary)
    return vocabulary


def words_of(entry: dict) -> list[str]:
    """Every word an entry is named by, in all languages."""
    return [word for words in entry.get("words", {}).values() for word in words]


def _check(vocabulary: dict) -> None:
    styles, moods, uses = vocabulary["styles"], vocabulary["moods"], vocabulary["uses"]
    for name, style in styles.items():
        missing = [f for f in STYLE_FIELDS if f not in style]
        if missing:
            raise VocabularyError(f"style {name!r} lacks {', '.join(missing)}")
        if style["family"] not in vocabulary["families"]:
            raise VocabularyError(f"style {name!r}: unknown family {style['family']!r}")
        low, high = style["tempo"]
        if not 30 <= low <= high <= 300:
            raise VocabularyError(f"style {name!r}: tempo range {style['tempo']} is not within 30-300 BPM")
        for role in list(style["instruments"]) + style.get("colour", []):
            if role not in ROLES:
                raise VocabularyError(f"style {name!r}: unknown role {role!r}")
    for name, mood in moods.items():
        if not (-1 <= mood["valence"] <= 1 and 0 <= mood["arousal"] <= 1):
            raise VocabularyError(f"mood {name!r}: valence or arousal out of range")
    for name, use in uses.items():
        for style in use["styles"]:
            if style not in styles:
                raise VocabularyError(f"use {name!r}: unknown style {style!r}")
        for mood in use["moods"]:
            if mood not in moods:
                raise VocabularyError(f"use {name!r}: unknown mood {mood!r}")
    for name, family in vocabulary["families"].items():
        if family["default"] not in styles or styles[family["default"]]["family"] != name:
            raise VocabularyError(f"family {name!r}: its default style is not one of its styles")
    for name, instrument in vocabulary["instruments"].items():
        if instrument.get("suggests") and instrument["suggests"] not in styles:
            raise VocabularyError(f"instrument {name!r} suggests an unknown style")
    for category in ("styles", "moods", "uses", "instruments", "families"):
        for name, entry in vocabulary[category].items():
            for language in entry.get("words", {}):
                if language not in vocabulary["languages"]:
                    raise VocabularyError(f"{category} {name!r}: words in unknown language {language!r}")
