"""The song form of a set of lyrics: which bars each section and each line take.

Every line of a section gets the same number of bars (1, 2 or 3, the fewest that give its longest
line room to breathe: at most SLOTS_USED of the bar's eighth notes sung), so phrases are regular;
an instrumental intro comes first and a short outro closes, before the final chord.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .encoders.lyrics import LyricLine, Lyrics

SLOTS_USED = 0.75  # a line sings on at most this share of its eighth-note slots
INTRO_BARS, OUTRO_BARS = 2, 2
ROLE_ENERGY = {"intro": 0.45, "verse": 0.65, "prechorus": 0.75, "chorus": 0.95, "bridge": 0.7, "outro": 0.55}


@dataclass
class LyricSlot:
    start_bar: int
    bars: int
    line: LyricLine
    section: str  # the lyric section's name


def subdivision(is_compound: bool) -> int:
    """Sung slots per counted beat: eighths (two in simple meters, three in compound ones)."""
    return 3 if is_compound else 2


def bars_for(lines: list[LyricLine], beats_per_bar: int, sub: int) -> int:
    longest = max(len(line.syllables) for line in lines)
    return max(1, min(3, math.ceil(longest / (SLOTS_USED * beats_per_bar * sub))))


def lyric_form(lyrics: Lyrics, beats_per_bar: int, is_compound: bool):
    """(sections as (name, role, start_bar, bars), slots per line, total bars)."""
    sub = subdivision(is_compound)
    sections, slots, bar = [("Intro", "intro", 0, INTRO_BARS)], [], INTRO_BARS
    for section in lyrics.sections:
        per_line = bars_for(section.lines, beats_per_bar, sub)
        start = bar
        for line in section.lines:
            slots.append(LyricSlot(bar, per_line, line, section.name))
            bar += per_line
        sections.append((section.name, section.role if section.role != "intro" else "verse", start, bar - start))
    sections.append(("Outro", "outro", bar, OUTRO_BARS))
    return sections, slots, bar + OUTRO_BARS
