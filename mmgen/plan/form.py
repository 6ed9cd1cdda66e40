"""The plan's form: sections laid out over the bars (intro, body phrases, outro), sections that
start at a video's cuts, and the song form of lyrics."""

from __future__ import annotations

import itertools

import numpy as np

from ..encoders.lyrics import Lyrics
from ..errors import InvalidRequest
from ..lyric_form import ROLE_ENERGY as LYRIC_ROLE_ENERGY
from ..lyric_form import lyric_form
from ..music import Meter
from ..request import GenerationRequest
from ..timeline import BeatGrid
from .data import Section, phrase_bars

LYRIC_TEMPO_RANGE = (50.0, 180.0)  # singable tempos when a song must fill a given length


ARC_LABELS = {
    "song": ["A", "B", "A", "B", "C", "B", "B"],
    "steady": ["A", "A", "B", "A", "B", "A"],
    "build": ["A", "B", "C", "D", "E", "F"],
    "arch": ["A", "B", "A", "C", "A", "B"],
    "calm": ["A", "B", "A", "B", "A", "B"],
}
LABEL_ROLE = {"A": "verse", "B": "chorus", "C": "bridge", "D": "build", "E": "build", "F": "build"}
ROLE_ENERGY = {"intro": 0.45, "verse": 0.65, "chorus": 0.9, "bridge": 0.7, "build": 0.8, "outro": 0.5}


def layout_sections(total_bars: int, arc: str, energy: float, bar_s: float, loop: bool = False) -> list[Section]:
    """Intro, body sections of whole phrases, outro; bar counts sum to total_bars.

    Phrases are 4 bars (8 at fast tempos); body sections are one or two phrases; the bars left
    over lengthen the intro and the outro, so every section of the body stays a whole phrase.
    A loop has neither intro nor outro: body sections only, the last one taking what is left.
    """
    phrase = phrase_bars(bar_s)
    if loop:
        return _loop_sections(total_bars, arc, energy, phrase)
    if total_bars < phrase + 2:
        return [Section("A", "verse", 0, total_bars, energy)]

    def portion(share: float, sizes: tuple[int, ...]) -> int:
        return next((n for n in sizes if n <= share * total_bars), 0)

    intro = portion(0.15, (phrase, phrase // 2, 2, 1))
    outro = portion(0.12, (phrase // 2, 2, 1))
    body = total_bars - intro - outro
    section_len = 2 * phrase if body >= 4 * phrase else phrase
    count = max(1, body // section_len)
    spare = body - count * section_len
    if spare < 0:  # shorter than one phrase: one section takes it all
        section_len, spare = body, 0
    intro += spare // 2
    outro += spare - spare // 2
    labels = ARC_LABELS[arc]
    sections, bar, seen = [], 0, {}
    if intro:
        sections.append(Section("Intro", "intro", 0, intro, energy * ROLE_ENERGY["intro"]))
        bar = intro
    for i in range(count):
        label = labels[min(i, len(labels) - 1)] if arc == "build" else labels[i % len(labels)]
        seen[label] = seen.get(label, 0) + 1
        name = label + "'" * (seen[label] - 1)
        role = LABEL_ROLE[label]
        level = ROLE_ENERGY[role]
        if arc == "build":
            level = 0.55 + 0.45 * (i + 1) / count
        elif arc == "calm":
            level = 0.6 + 0.15 * (label == "B")
        sections.append(Section(name, role, bar, section_len, float(np.clip(energy * level * 1.15, 0.05, 1.0))))
        bar += section_len
    if outro:
        sections.append(Section("Outro", "outro", bar, outro, energy * ROLE_ENERGY["outro"]))
    return sections


def _loop_sections(total_bars: int, arc: str, energy: float, phrase: int) -> list[Section]:
    """A loop's sections: whole phrases in the arc's order (at least two phrases each when the
    loop is long), the last one taking any odd bars; one section when the loop is short."""
    if total_bars < 2 * phrase:
        return [Section("A", "verse", 0, total_bars, energy)]
    section_len = 2 * phrase if total_bars >= 4 * phrase else phrase
    count = total_bars // section_len
    labels, seen, sections = ARC_LABELS[arc], {}, []
    for i in range(count):
        label = labels[i % len(labels)] if arc != "build" else labels[min(i, len(labels) - 1)]
        seen[label] = seen.get(label, 0) + 1
        role = LABEL_ROLE[label]
        bars = section_len if i < count - 1 else total_bars - section_len * (count - 1)
        level = float(np.clip(energy * ROLE_ENERGY[role] * 1.15, 0.05, 1.0))
        sections.append(Section(label + "'" * (seen[label] - 1), role, i * section_len, bars, level))
    return sections


def fit_lyrics(
    request: GenerationRequest,
    lyrics: Lyrics,
    tempo: float,
    meter: Meter,
    energy: float,
    style_info: dict,
    reasons: dict,
) -> tuple[BeatGrid, list[Section], list]:
    """The song form of the lyrics at the planned tempo; with a duration asked for, the tempo that
    fills it (within LYRIC_TEMPO_RANGE)."""
    specs, slots, total_bars = lyric_form(lyrics, meter.beats_per_bar, meter.is_compound)
    ring = style_info["ring_s"]
    if request.duration_s:
        fitted = total_bars * meter.beats_per_bar * 60.0 / (request.duration_s - ring)
        low, high = LYRIC_TEMPO_RANGE
        if not low <= fitted <= high:
            natural = total_bars * meter.beats_per_bar * 60.0 / tempo + ring
            raise InvalidRequest(
                f"These lyrics take about {natural:.0f} s to sing; {request.duration_s:g} s would "
                f"need {fitted:.0f} BPM. Leave the length empty, or choose one nearer {natural:.0f} s."
            )
        tempo = fitted
        reasons["tempo"] = f"the tempo that fits the song into {request.duration_s:g} s"
    sections = [
        Section(name, role, start, bars, float(np.clip(energy * LYRIC_ROLE_ENERGY[role] * 1.1, 0.05, 1.0)))
        for name, role, start, bars in specs
    ]
    reasons["form"] = f"the song form of the lyrics: {lyrics.summary()}"
    return BeatGrid(tempo, total_bars, 0.0, ring), sections, slots


def sections_from_starts(
    starts: list[int], total_bars: int, arc: str, energy: float, picture: list[float] | None
) -> list[Section]:
    """Sections starting at the given bars (a video's cuts): the first is an intro when short,
    the rest follow the style's arc; each section's energy follows the picture's there."""
    bounds = starts + [total_bars]
    labels, seen, sections = ARC_LABELS[arc], {}, []
    peak = max(picture) if picture else 1.0
    for i, (start, end) in enumerate(itertools.pairwise(bounds)):
        if i == 0 and len(bounds) > 2 and end - start <= 4:
            name, role = "Intro", "intro"
        else:
            label = (
                labels[min(len(seen), len(labels) - 1)] if arc == "build" else labels[sum(seen.values()) % len(labels)]
            )
            seen[label] = seen.get(label, 0) + 1
            name, role = label + "'" * (seen[label] - 1), LABEL_ROLE[label]
        level = ROLE_ENERGY[role]
        if picture:
            level = 0.45 + 0.6 * float(np.mean(picture[start:end])) / max(peak, 1e-6)
        sections.append(Section(name, role, start, end - start, float(np.clip(energy * level * 1.1, 0.05, 1.0))))
    return sections
