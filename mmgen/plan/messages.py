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


def own_word(entry: dict, language: str, english: str) -> str:
    """A vocabulary entry as the reader names it: its first word in their language, else `english`."""
    native = entry.get("words", {}).get(language) if language != "en" else None
    return native[0] if native else english


def style_name(style: str, language: str = "en") -> str:
    entry = load_vocabulary()["styles"][style]
    return own_word(entry, language, entry["label"])


def mood_name(mood: str, language: str = "en") -> str:
    return own_word(load_vocabulary()["moods"][mood], language, mood)
