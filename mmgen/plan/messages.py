"""The explanation's words in the description's language: `say(key, language, **values)` fills a
template of assets/vocabulary/messages.toml (English where a language lacks one), and `style_name`
/ `mood_name` give a style's or mood's own word in that language."""

from __future__ import annotations

import tomllib
from functools import cache

from ..vocabulary import VOCABULARY_DIR, load_vocabulary


@cache
def _messages() -> dict[str, dict[str, str]]:
    with open(VOCABULARY_DIR / "messages.toml", "rb") as f:
        return tomllib.load(f)


def say(key: str, language: str = "en", **values) -> str:
    messages = _messages()
    template = messages.get(language, {}).get(key) or messages["en"][key]
    return template.format(**values)


def joined(items: list[str], language: str = "en") -> str:
    return say("and", language).join(items)


def style_name(style: str, language: str = "en") -> str:
    """The style in the reader's words: its label in English, else its first word in the language."""
    entry = load_vocabulary()["styles"][style]
    native = entry.get("words", {}).get(language) if language != "en" else None
    return native[0] if native else entry["label"]


def mood_name(mood: str, language: str = "en") -> str:
    native = load_vocabulary()["moods"][mood].get("words", {}).get(language) if language != "en" else None
    return native[0] if native else mood
