"""build_plan: the request, the features and the cues -> a MusicPlan (choices, beat grid, form)."""

from __future__ import annotations

import random

import numpy as np

from ..encoders.cues import PromptCues
from ..encoders.reading import Reading, blend_scores
from ..encoders.text import TextFeatures
from ..request import GenerationRequest
from ..timeline import bar_energies_from_curve, fit_duration, fit_loop, section_bounds_at_cuts
from .arrangement import Band, choose_band
from .choices import choose_key, choose_meter, choose_moods, choose_style, choose_tempo, feeling
from .data import MusicPlan
from .fitting import fit_video
from .form import fit_lyrics, layout_sections, sections_from_starts
from .messages import say


def build_plan(
    request: GenerationRequest,
    features: TextFeatures | None,
    cues: PromptCues,
    descriptors: dict,
    seed: int,
    reading: Reading | None = None,
    taste=None,
) -> MusicPlan:
    """Overrides from the request win over explicit prompt cues, which win over inference from
    the prompt and from a picture or video's `reading` (averaged when both are given); a user's
    `taste` (feedback.RewardModel) leans only the choices left open (the tempo in its range, the
    instrument of a part nobody chose)."""
    rng = random.Random(f"plan:{seed}")  # a stream of its own, decorrelated from the decoder's
    reasons: dict[str, str] = {}
    source = "the description"
    if reading is not None:
        source = reading.details.get("label", "the picture") + (" and the description" if features else "")
        embedding = features.embedding if features is not None else np.zeros(384, np.float32)
        features = TextFeatures(embedding=embedding, scores=blend_scores(features and features.scores, reading))
        reasons.update(reading.reasons)
    style, colour, uses = choose_style(features, cues, descriptors, reasons, source)
    style_info = descriptors["styles"][style]
    moods = choose_moods(features, cues, descriptors, uses, reasons, source)
    valence, arousal = feeling(moods, cues, style_info, descriptors, reasons)
    if reading is not None:  # the picture's own reading, not only the moods it won
        valence, arousal = (valence + reading.valence) / 2, (arousal + reading.arousal) / 2

    meter = choose_meter(request, cues, style_info, reasons)
    key = choose_key(request, cues, valence, style_info, rng, reasons)
    colour_info = descriptors["styles"][colour] if colour and _named_style(cues, colour) else None
    tempo, tempo_fixed = choose_tempo(request, cues, style_info, arousal, meter, reasons, colour_info, taste)
    band = choose_band(cues, style, colour, moods, descriptors, reasons, taste)
    instruments = band.instruments
    energy = float(np.clip(0.5 * style_info["energy"] + 0.5 * arousal, 0.05, 1.0))

    lyrics = reading.details.get("lyrics") if reading is not None else None
    if lyrics is not None:
        grid, sections, slots = fit_lyrics(request, lyrics, tempo, meter, energy, style_info, reasons)
        return MusicPlan(
            prompt=request.prompt,
            duration_s=grid.time_of(grid.total_bars * meter.beats_per_bar) + grid.ring_s,
            tempo_bpm=grid.tempo_bpm,
            key=key,
            meter=meter,
            style=style,
            style_label=style_info["label"],
            moods=moods,
            uses=uses,
            instruments=instruments,
            instrument_names=list(cues.instruments),
            **_band_fields(band, colour, cues),
            sections=sections,
            total_bars=grid.total_bars,
            pickup_offset_beats=0.0,
            ring_s=grid.ring_s,
            swing=style_info["swing"],
            energy=energy,
            arc="song",
            reasons=reasons,
            lyric_slots=slots,
        )
    ring_target = min(style_info["ring_s"], 0.4 * request.duration_s)
    cuts = list(request.cuts_s or (reading.cuts_s if reading else []))
    picture_energies = None
    if cuts or (reading is not None and reading.duration_s):
        grid = fit_video(request, cuts, tempo, tempo_fixed, style_info, meter, ring_target, reasons)
        starts = section_bounds_at_cuts(cuts, grid, meter)
        picture_energies = bar_energies_from_curve(reading.energy_s if reading else [], grid, meter) or None
        sections = sections_from_starts(starts, grid.total_bars, style_info["arc"], energy, picture_energies)
    else:
        if request.loop:
            grid = fit_loop(request.duration_s, tempo, tempo_fixed, meter)
        else:
            grid = fit_duration(request.duration_s, tempo, tempo_fixed, meter, ring_target)
        sections = layout_sections(
            grid.total_bars, style_info["arc"], energy, meter.beats_per_bar * 60.0 / grid.tempo_bpm, request.loop
        )
    duration = grid.time_of(grid.total_bars * meter.beats_per_bar) if request.loop else request.duration_s
    return MusicPlan(
        prompt=request.prompt,
        duration_s=duration,
        tempo_bpm=grid.tempo_bpm,
        key=key,
        meter=meter,
        style=style,
        style_label=style_info["label"],
        moods=moods,
        uses=uses,
        instruments=instruments,
        instrument_names=list(cues.instruments),
        **_band_fields(band, colour, cues),
        sections=sections,
        total_bars=grid.total_bars,
        pickup_offset_beats=grid.pickup_offset_beats,
        ring_s=grid.ring_s,
        swing=style_info["swing"],
        energy=energy,
        arc=style_info["arc"],
        reasons=reasons,
        lead_in_s=grid.lead_in_s,
        tempo_pins=grid.pins,
        cuts_s=cuts,
        picture_energies=picture_energies,
        scene=reading.details.get("caption", "") if reading is not None else "",
        loop=request.loop,
    )


def _band_fields(band: Band, colour: str | None, cues: PromptCues) -> dict:
    return {
        "colour": colour or "",
        "arrangement": dict(band.overrides),
        "register_shift": band.register_shift,
        "density_shift": band.density_shift,
        "drum_level_cap": band.drum_level_cap,
        "excluded": list(band.excluded),
        "language": cues.language,
        "words_read": words_read(cues),
    }


def words_read(cues: PromptCues) -> list[str]:
    """What the description named outright, for the explanation: "lofi" (style), "no drums" (refused instrument)."""
    kinds = {
        "styles": "style",
        "families": "family",
        "moods": "mood",
        "uses": "use",
        "instruments": "instrument",
        "tempo": "tempo",
        "meter": "meter",
    }
    read, lang = [], cues.language
    for mention in cues.words.mentions if cues.words else []:
        kind = kinds.get(mention.kind) or ("tempo" if mention.name in ("faster", "slower") else "mood")
        said = say(f"kind_{kind}", lang)
        entry = f'"{mention.word}" ({say("refused", lang, kind=said) if mention.negated else said})'
        if entry not in read:
            read.append(entry)
    return read


def _named_style(cues: PromptCues, style: str) -> bool:
    return bool(cues.words) and any(m.name == style for m in cues.words.named("styles"))
