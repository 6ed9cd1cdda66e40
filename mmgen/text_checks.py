"""Text from users (descriptions, lyrics, names) checked before anything reads it."""

from __future__ import annotations

import unicodedata

from .errors import InvalidRequest


def check_text(text: str, what: str) -> str:
    """Refuse text that cannot be shown or stored safely; return it with outer space trimmed."""
    if not isinstance(text, str):
        raise InvalidRequest(f"The {what} must be text.")
    for ch in text:
        if 0xD800 <= ord(ch) <= 0xDFFF:
            raise InvalidRequest(
                f"The {what} contains a broken character (an unpaired surrogate). Please retype or paste it again."
            )
        if unicodedata.category(ch) == "Cc" and ch not in "\n\t\r":
            raise InvalidRequest(
                f"The {what} contains an invisible control character (U+{ord(ch):04X}). Please remove it."
            )
    return text.strip()
