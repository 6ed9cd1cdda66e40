"""MusicPlan: the explicit, inspectable description of the piece every decoder follows.

Timeline: after an optional lead-in of `lead_in_s` (videos: so cuts land on beats) the music
runs for `total_bars` bars (the first may be a pickup that starts `pickup_offset_beats` into the
bar), then the final chord lands on a downbeat at `final_chord_s` and rings for `ring_s`, so that
final_chord_s + ring_s == duration_s exactly.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import numpy as np

from .encoders.cues import PromptCues
from .encoders.reading import Reading, blend_scores
from .encoders.text import TextFeatures
from .music import Key, Meter, parse_key, parse_meter
from .request import GenerationRequest
from .errors import InvalidRequest
from .lyric_form import ROLE_ENERGY as LYRIC_ROLE_ENERGY
from .lyric_form import lyric_form
from .timeline import (BeatGrid, bar_energies_from_curve, beat_time, fit_duration, fit_to_cuts,
                       section_bounds_at_cuts, time_beat)

DEFAULT_STYLE = "pop"
# Scores are similarities above each descriptor's neutral baseline (see encoders/text.py).
STYLE_MATCH_MIN = 0.05  # below this the prompt says nothing about style
USE_MATCH_MIN = 0.12  # a use ("cooking video") must clear this, and be near the best use
KEYWORD_BONUS = 0.35  # a style named outright ("jazz") beats a vaguer semantic match
USE_WEIGHT = 1.0  # how much a matched use ("cooking video") pulls toward its styles and moods
VIDEO_TEMPO_SPREAD = 0.2  # for a video, tempos this far outside the style's range may fit the cuts
LYRIC_TEMPO_RANGE = (50.0, 180.0)  # singable tempos when a song must fill a given length
COMFORTABLE_TONICS = {"major": [0, 2, 5, 7, 9, 10, 3], "minor": [9, 2, 4, 7, 0, 5, 11]}


def phrase_bars(bar_s: float) -> int:
    """Bars per phrase: 4, or 8 when bars are short (fast tempos), so phrases last 6-12 s."""
    return 8 if bar_s < 1.45 else 4


@dataclass
class Section:
    name: str  # "Intro", "A", "B", "A'", "Outro"
    role: str  # "intro" | "verse" | "chorus" | "bridge" | "build" | "outro"
    start_bar: int
    bars: int
    energy: float  # 0..1

    def to_dict(self) -> dict:
        return {"name": self.name, "role": self.role, "start_bar": self.start_bar,
                "bars": self.bars, "energy": round(self.energy, 3)}


@dataclass
class MusicPlan:
    prompt: str
    duration_s: float
    tempo_bpm: float
    key: Key
    meter: Meter
    style: str  # descriptor name, e.g. "lofi"
    style_label: str
    moods: list[str]
    uses: list[str]
    instruments: dict[str, int]  # role -> General MIDI program
    instrument_names: list[str]  # instruments the prompt asked for
    sections: list[Section]
    total_bars: int
    pickup_offset_beats: float
    ring_s: float
    swing: float  # 0.5 = straight eighths, 0.66 = triplet swing
    energy: float  # overall 0..1
    arc: str
    reasons: dict[str, str] = field(default_factory=dict)
    lead_in_s: float = 0.0  # the first beat's time (videos: so the cuts land on beats)
    tempo_pins: list[tuple[float, float]] = field(default_factory=list)  # (beat, s): cuts hit by bending the tempo
    cuts_s: list[float] = field(default_factory=list)  # a video's main cuts (or the user's)
    picture_energies: list[float] | None = None  # per bar 0..1, from a video's motion and light
    lyric_slots: list = field(default_factory=list)  # LyricSlot: the bars each sung line takes
    scene: str = ""  # a picture's caption (BLIP), when one was made

    @property
    def beat_s(self) -> float:
        return 60.0 / self.tempo_bpm

    @property
    def bar_s(self) -> float:
        return self.meter.beats_per_bar * self.beat_s

    @property
    def final_chord_beat(self) -> float:
        return self.total_bars * self.meter.beats_per_bar - self.pickup_offset_beats

    @property
    def final_chord_s(self) -> float:
        return self.beat_time(self.final_chord_beat)

    def beat_time(self, beat: float) -> float:
        """Seconds from the start of the audio to counted beat `beat` (see timeline.beat_time)."""
        return beat_time(beat, self.tempo_bpm, self.lead_in_s, self.tempo_pins)

    def cut_beats(self) -> list[int]:
        """The beat each cut before the final chord lands on (the music marks them)."""
        return [round(time_beat(c, self.tempo_bpm, self.lead_in_s, self.tempo_pins))
                for c in self.cuts_s if c < self.final_chord_s - 1e-6]

    @property
    def phrase_bars(self) -> int:
        return phrase_bars(self.bar_s)

    def bar_start_beat(self, bar: int) -> float:
        """Beat (from the start of the audio) of the downbeat of `bar`; bar 0 may start early."""
        return bar * self.meter.beats_per_bar - self.pickup_offset_beats

    def bar_energies(self) -> list[float]:
        """Energy 0..1 of each bar: its section's level, ramping through build sections (or, for
        a video, following the picture's energy), smoothed across section boundaries."""
        per_bar = []
        picture = self.picture_energies
        peak = max(picture) if picture else 1.0
        for section in self.sections:
            for i in range(section.bars):
                if picture:
                    shape = 0.6 + 0.4 * picture[min(section.start_bar + i, len(picture) - 1)] / max(peak, 1e-6)
                else:
                    shape = 0.8 + 0.2 * ((i + 1) / section.bars if section.role == "build" else 1.0)
                per_bar.append(section.energy * shape)
        smoothed = np.convolve(np.pad(per_bar, 1, mode="edge"), [0.25, 0.5, 0.25], mode="valid")
        return [float(e) for e in smoothed]

    def energy_curve(self) -> list[tuple[float, float]]:
        """(time_s, energy 0..1) at each bar start, then the decay of the final chord."""
        energies = self.bar_energies()
        points = [(max(0.0, self.beat_time(self.bar_start_beat(b))), e) for b, e in enumerate(energies)]
        points.append((self.final_chord_s, energies[-1]))
        points.append((self.duration_s, 0.0))
        return points

    def section_at_bar(self, bar: int) -> Section:
        for section in self.sections:
            if section.start_bar <= bar < section.start_bar + section.bars:
                return section
        return self.sections[-1]

    def to_dict(self) -> dict:
        return {
            "prompt": self.prompt, "duration_s": self.duration_s,
            "tempo_bpm": round(self.tempo_bpm, 3), "key": self.key.name, "meter": self.meter.name,
            "style": self.style, "style_label": self.style_label, "moods": self.moods, "uses": self.uses,
            "instruments": self.instruments, "requested_instruments": self.instrument_names,
            "sections": [s.to_dict() for s in self.sections], "total_bars": self.total_bars,
            "pickup_offset_beats": self.pickup_offset_beats, "final_chord_s": round(self.final_chord_s, 4),
            "ring_s": round(self.ring_s, 4), "swing": self.swing, "energy": round(self.energy, 3),
            "arc": self.arc, "lead_in_s": round(self.lead_in_s, 4), "cuts_s": [round(c, 3) for c in self.cuts_s],
            "tempo_pins": [[b, round(t, 4)] for b, t in self.tempo_pins],
            "lyric_lines": [{"start_bar": slot.start_bar, "bars": slot.bars, "section": slot.section,
                             "text": slot.line.text, "syllables": [s.text for s in slot.line.syllables]}
                            for slot in self.lyric_slots],
            "energy_curve": [[round(t, 3), round(e, 3)] for t, e in self.energy_curve()],
            "reasons": self.reasons,
        }

    def explain(self) -> str:
        """The plan in plain words: what was chosen and why (Markdown)."""
        r = self.reasons
        form = " → ".join(f"{s.name} ({s.bars} bar{'s' if s.bars != 1 else ''})" for s in self.sections)
        lines = [f"**What it read:** {r['input'][0].upper()}{r['input'][1:]}."] if r.get("input") else []
        lines += [
            f"**Style:** {self.style_label} — {r.get('style', '')}",
            f"**Mood:** {', '.join(self.moods) or 'neutral'} — {r.get('mood', '')}",
            f"**Tempo:** {self.tempo_bpm:.1f} BPM — {r.get('tempo', '')}",
            f"**Key:** {self.key.name} — {r.get('key', '')}",
            f"**Time signature:** {self.meter.name} — {r.get('meter', '')}",
            f"**Instruments:** {r.get('instruments', '')}",
            *([f"**Song form:** {r['form']}"] if r.get("form") else []),
            f"**Form:** {form}, then a final {self.key.tonic_name} chord that rings for "
            f"{self.ring_s:.1f} s, ending at exactly {self.duration_s:g} s.",
        ]
        return "\n\n".join(lines)


# --------------------------------------------------------------------------------------------
# Building a plan


def build_plan(request: GenerationRequest, features: TextFeatures | None, cues: PromptCues,
               descriptors: dict, seed: int, reading: Reading | None = None) -> MusicPlan:
    """Overrides from the request win over explicit prompt cues, which win over inference from
    the prompt and from a picture or video's `reading` (averaged when both are given)."""
    rng = random.Random(f"plan:{seed}")  # a stream of its own, decorrelated from the decoder's
    reasons: dict[str, str] = {}
    source = "the description"
    if reading is not None:
        source = reading.details.get("label", "the picture") + (" and the description" if features else "")
        embedding = features.embedding if features is not None else np.zeros(384, np.float32)
        features = TextFeatures(embedding=embedding, scores=blend_scores(features and features.scores, reading))
        reasons.update(reading.reasons)
    style, uses = _choose_style(features, cues, descriptors, reasons, source)
    style_info = descriptors["styles"][style]
    moods = _choose_moods(features, descriptors, uses, style_info, reasons, source)
    mood_info = [descriptors["moods"][m] for m in moods]
    valence = (float(np.mean([m["valence"] for m in mood_info])) if mood_info else 0.3) + style_info.get("valence", 0.0)
    arousal = float(np.mean([m["arousal"] for m in mood_info])) if mood_info else style_info["energy"]
    if reading is not None:  # the picture's own reading, not only the moods it won
        valence, arousal = (valence + reading.valence) / 2, (arousal + reading.arousal) / 2

    meter = _choose_meter(request, cues, style_info, reasons)
    key = _choose_key(request, cues, valence, rng, reasons)
    tempo, tempo_fixed = _choose_tempo(request, cues, style_info, arousal, meter, reasons)
    instruments = _choose_instruments(cues, style_info, descriptors, reasons)
    energy = float(np.clip(0.5 * style_info["energy"] + 0.5 * arousal, 0.05, 1.0))

    lyrics = reading.details.get("lyrics") if reading is not None else None
    if lyrics is not None:
        grid, sections, slots = _fit_lyrics(request, lyrics, tempo, meter, energy, style_info, reasons)
        return MusicPlan(
            prompt=request.prompt, duration_s=grid.time_of(grid.total_bars * meter.beats_per_bar) + grid.ring_s,
            tempo_bpm=grid.tempo_bpm, key=key, meter=meter, style=style, style_label=style_info["label"],
            moods=moods, uses=uses, instruments=instruments, instrument_names=list(cues.instruments),
            sections=sections, total_bars=grid.total_bars, pickup_offset_beats=0.0, ring_s=grid.ring_s,
            swing=style_info["swing"], energy=energy, arc="song", reasons=reasons, lyric_slots=slots)
    ring_target = min(style_info["ring_s"], 0.4 * request.duration_s)
    cuts = list(request.cuts_s or (reading.cuts_s if reading else []))
    picture_energies = None
    if cuts or (reading is not None and reading.duration_s):
        grid = _fit_video(request, cuts, tempo, tempo_fixed, style_info, meter, ring_target, reasons)
        starts = section_bounds_at_cuts(cuts, grid, meter)
        picture_energies = bar_energies_from_curve(reading.energy_s if reading else [], grid, meter) or None
        sections = _sections_from_starts(starts, grid.total_bars, style_info["arc"], energy, picture_energies)
    else:
        grid = fit_duration(request.duration_s, tempo, tempo_fixed, meter, ring_target)
        sections = _layout_sections(grid.total_bars, style_info["arc"], energy, meter.beats_per_bar * 60.0 / grid.tempo_bpm)
    return MusicPlan(
        prompt=request.prompt, duration_s=request.duration_s, tempo_bpm=grid.tempo_bpm, key=key, meter=meter,
        style=style, style_label=style_info["label"], moods=moods, uses=uses,
        instruments=instruments, instrument_names=list(cues.instruments), sections=sections,
        total_bars=grid.total_bars, pickup_offset_beats=grid.pickup_offset_beats, ring_s=grid.ring_s,
        swing=style_info["swing"], energy=energy, arc=style_info["arc"], reasons=reasons,
        lead_in_s=grid.lead_in_s, tempo_pins=grid.pins, cuts_s=cuts, picture_energies=picture_energies,
        scene=reading.details.get("caption", "") if reading is not None else "",
    )


def _fit_video(request, cuts, tempo, tempo_fixed, style_info, meter, ring_target, reasons) -> BeatGrid:
    """Tempo and lead-in that put the cuts on beats; a tempo you set is kept."""
    low, high = style_info["tempo"]
    low, high = low * (1 - VIDEO_TEMPO_SPREAD), high * (1 + VIDEO_TEMPO_SPREAD)
    if meter.is_compound:
        low, high = low / 1.5, high / 1.5
    grid, distances = fit_to_cuts(request.duration_s, cuts, (max(40.0, low), min(220.0, high)), meter,
                                  ring_target, fixed_tempo=tempo if tempo_fixed else None)
    if distances:
        hits = sum(d <= 0.04 for d in distances)
        reasons["tempo"] = (reasons["tempo"] if tempo_fixed else "chosen so the cuts fall on the beat") + (
            f": {hits} of {len(distances)} cuts on a beat"
            + (f" ({len(grid.pins)} by easing the tempo by at most 8 % before them)" if grid.pins else "")
            + (", the final chord on the last cut" if grid.pins and abs(request.duration_s - grid.ring_s
                                                                        - grid.pins[-1][1]) < 1e-6 else "")
            + (f", the music starting {grid.lead_in_s:.2f} s in" if grid.lead_in_s > 0.005 else ""))
    return grid


def _fit_lyrics(request, lyrics, tempo, meter, energy, style_info, reasons):
    """The song form of the lyrics at the planned tempo; with a duration asked for, the tempo that
    fills it (within LYRIC_TEMPO_RANGE)."""
    specs, slots, total_bars = lyric_form(lyrics, meter.beats_per_bar, meter.is_compound)
    ring = style_info["ring_s"]
    if request.duration_s:
        fitted = total_bars * meter.beats_per_bar * 60.0 / (request.duration_s - ring)
        low, high = LYRIC_TEMPO_RANGE
        if not low <= fitted <= high:
            natural = total_bars * meter.beats_per_bar * 60.0 / tempo + ring
            raise InvalidRequest(f"These lyrics take about {natural:.0f} s to sing; {request.duration_s:g} s would "
                                 f"need {fitted:.0f} BPM. Leave the length empty, or choose one nearer {natural:.0f} s.")
        tempo = fitted
        reasons["tempo"] = f"the tempo that fits the song into {request.duration_s:g} s"
    sections = [Section(name, role, start, bars, float(np.clip(energy * LYRIC_ROLE_ENERGY[role] * 1.1, 0.05, 1.0)))
                for name, role, start, bars in specs]
    reasons["form"] = f"the song form of the lyrics: {lyrics.summary()}"
    return BeatGrid(tempo, total_bars, 0.0, ring), sections, slots


def _sections_from_starts(starts: list[int], total_bars: int, arc: str, energy: float,
                          picture: list[float] | None) -> list[Section]:
    """Sections starting at the given bars (a video's cuts): the first is an intro when short,
    the rest follow the style's arc; each section's energy follows the picture's there."""
    bounds = starts + [total_bars]
    labels, seen, sections = ARC_LABELS[arc], {}, []
    peak = max(picture) if picture else 1.0
    for i, (start, end) in enumerate(zip(bounds, bounds[1:])):
        if i == 0 and len(bounds) > 2 and end - start <= 4:
            name, role = "Intro", "intro"
        else:
            label = labels[min(len(seen), len(labels) - 1)] if arc == "build" else labels[sum(seen.values()) % len(labels)]
            seen[label] = seen.get(label, 0) + 1
            name, role = label + "'" * (seen[label] - 1), LABEL_ROLE[label]
        level = ROLE_ENERGY[role]
        if picture:
            level = 0.45 + 0.6 * float(np.mean(picture[start:end])) / max(peak, 1e-6)
        sections.append(Section(name, role, start, end - start, float(np.clip(energy * level * 1.1, 0.05, 1.0))))
    return sections


def _verb(source: str, singular: str) -> str:
    """"reads" after "the picture", "read" after "the lyrics" or "the video and the description"."""
    return singular[:-1] if source.startswith("the lyrics") or " and " in source else singular


def _choose_style(features: TextFeatures | None, cues: PromptCues, descriptors: dict,
                  reasons: dict, source: str = "the description") -> tuple[str, list[str]]:
    if features is None:
        reasons["style"] = "no description was given, so a light, neutral pop arrangement"
        return DEFAULT_STYLE, []
    ranked_uses = features.ranked("uses")
    uses = [name for name, score in ranked_uses[:2] if score >= max(USE_MATCH_MIN, ranked_uses[0][1] - 0.1)]
    totals = dict(features.scores["styles"])
    for use in uses:
        for style in descriptors["uses"][use]["styles"]:
            totals[style] += USE_WEIGHT * features.scores["uses"][use] / (1 + descriptors["uses"][use]["styles"].index(style))
    for named in cues.styles:
        totals[named] += KEYWORD_BONUS
    style, total = max(totals.items(), key=lambda kv: kv[1])
    direct = features.scores["styles"][style]
    if style in cues.styles:
        reasons["style"] = f'you wrote "{cues.styles[style]}"'
        return style, uses
    if total < STYLE_MATCH_MIN:
        reasons["style"] = f"{source} {_verb(source, 'suggests')} no style clearly, so a light, neutral pop arrangement"
        return DEFAULT_STYLE, uses
    why = f"{source} {_verb(source, 'reads')} closest to {descriptors['styles'][style]['label']} (score {direct:+.2f})"
    if uses and total > direct + 1e-6:
        why = f"a usual choice for {' and '.join(uses)}, which {source} reads as"
    reasons["style"] = why
    return style, uses


def _choose_moods(features, descriptors, uses, style_info, reasons, source="the description") -> list[str]:
    if features is None:
        reasons["mood"] = "no description was given"
        return []
    totals = dict(features.scores["moods"])
    for use in uses:
        for mood in descriptors["uses"][use]["moods"]:
            totals[mood] += USE_WEIGHT * features.scores["uses"][use]
    ranked = sorted(totals.items(), key=lambda kv: -kv[1])
    if ranked[0][1] < STYLE_MATCH_MIN:
        reasons["mood"] = f"{source} {_verb(source, 'suggests')} no mood, so the style's own character"
        return []
    moods = [ranked[0][0]] + [m for m, s in ranked[1:2] if s >= max(0.1, ranked[0][1] - 0.05)]
    reasons["mood"] = f"{source} {_verb(source, 'reads')} as " + " and ".join(moods) + (
        f" (as suits {' and '.join(uses)})" if uses else "")
    return moods


def _choose_meter(request, cues, style_info, reasons) -> Meter:
    if request.meter:
        reasons["meter"] = "you chose it"
        return parse_meter(request.meter)
    if cues.meter:
        reasons["meter"] = cues.reasons["meter"]
        return cues.meter
    reasons["meter"] = f"the usual time signature of {style_info['label']}"
    return parse_meter(style_info["meters"][0])


def _choose_key(request, cues, valence, rng, reasons) -> Key:
    if request.key:
        reasons["key"] = "you chose it"
        return parse_key(request.key)
    if cues.key:
        reasons["key"] = cues.reasons["key"]
        return cues.key
    if cues.mode:
        mode, why = cues.mode, cues.reasons["mode"]
    elif valence < 0:
        mode, why = "minor", "minor suits the darker mood"
    else:
        mode, why = "major", "major suits the brighter mood"
    tonic = rng.choice(COMFORTABLE_TONICS[mode])
    reasons["key"] = f"{why}; the tonic was picked by the seed"
    return Key(tonic, mode)


def _choose_tempo(request, cues, style_info, arousal, meter, reasons) -> tuple[float, bool]:
    if request.tempo_bpm:
        reasons["tempo"] = "you chose it"
        return float(request.tempo_bpm), True
    if cues.tempo_bpm:
        if not 30 <= cues.tempo_bpm <= 300:
            raise InvalidRequest(f"The prompt asks for {cues.tempo_bpm:g} BPM; choose a tempo between 30 and 300.")
        reasons["tempo"] = cues.reasons["tempo"]
        return cues.tempo_bpm, True
    low, high = style_info["tempo"]
    tempo = (low + (high - low) * float(np.clip(arousal, 0, 1))) * cues.tempo_factor
    if meter.is_compound:  # style tempos count quarter notes; compound meters count dotted quarters
        tempo /= 1.5
    tempo = float(np.clip(tempo, 30, 300))
    why = f"{style_info['label']} usually sits at {low}–{high} BPM; the mood set where in that range"
    if cues.tempo_factor != 1.0:
        why += f", and {cues.reasons['tempo_word']} moved it"
    reasons["tempo"] = why
    return tempo, False


def _choose_instruments(cues, style_info, descriptors, reasons) -> dict[str, int]:
    instruments = dict(style_info["instruments"])
    asked = [descriptors["instruments"][n]["program"] for n in cues.instruments]
    for role, program in zip(("melody", "chords"), asked):
        instruments[role] = program
    if cues.instruments:
        reasons["instruments"] = f"{', '.join(cues.instruments)} as you asked, over the {style_info['label']} band"
    else:
        reasons["instruments"] = f"the usual {style_info['label']} line-up"
    return instruments


ARC_LABELS = {
    "song": ["A", "B", "A", "B", "C", "B", "B"],
    "steady": ["A", "A", "B", "A", "B", "A"],
    "build": ["A", "B", "C", "D", "E", "F"],
    "arch": ["A", "B", "A", "C", "A", "B"],
    "calm": ["A", "B", "A", "B", "A", "B"],
}
LABEL_ROLE = {"A": "verse", "B": "chorus", "C": "bridge", "D": "build", "E": "build", "F": "build"}
ROLE_ENERGY = {"intro": 0.45, "verse": 0.65, "chorus": 0.9, "bridge": 0.7, "build": 0.8, "outro": 0.5}


def _layout_sections(total_bars: int, arc: str, energy: float, bar_s: float) -> list[Section]:
    """Intro, body sections of whole phrases, outro; bar counts sum to total_bars.

    Phrases are 4 bars (8 at fast tempos); body sections are one or two phrases; the bars left
    over lengthen the intro and the outro, so every section of the body stays a whole phrase.
    """
    phrase = phrase_bars(bar_s)
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
