"""A score, produced: each part rendered dry by its instrument (a synth voice, a drum machine or
the SoundFont), then mixed the style's way (mix.py)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..tokens import ScoreTokens
from .drums import render_drum_part
from .mix import MixResult, mix_stems
from .production import Production, production_of
from .synth import render_synth_part

KICKS = (35, 36)
MAX_SOUNDFONT_STEMS = 4  # SoundFont renders per track; more parts share the "ensemble" stem
OWN_STEM = ("bass", "melody", "drums")  # SoundFont parts that keep a stem of their own first
ENSEMBLE = "ensemble"


def render_dry(score: ScoreTokens, production: Production, soundfont, rate: int) -> dict[str, np.ndarray]:
    """role -> the part as its instrument plays it, dry: float32 `[2, round(end_s * rate)]`.
    `soundfont` is a codecs.soundfont.SoundFontCodec (44.1 kHz): its parts render in helper
    processes while the synths and drum machines play here. Beyond MAX_SOUNDFONT_STEMS
    SoundFont parts, the rest play together as one "ensemble" stem (a SoundFont render costs
    about the same for one part as for several), balanced and panned by their mix settings."""
    stems: dict[str, np.ndarray] = {}
    pending = []  # (stem, waits for the SoundFont's audio)

    def to_soundfont(stem: str, parts: list) -> None:
        pending.append((stem, soundfont.render_later(replace(score, parts=parts))))

    def dry(part, notes=None):  # the part alone for the SoundFont: no reverb, centred, full volume
        return replace(part, notes=list(part.notes if notes is None else notes), reverb=0, pan=64, volume=100)

    parts = [p for p in score.parts if p.notes]
    played = [p for p in parts if production.voicings[p.name].kind == "soundfont"]
    alone, together = _split_soundfont(played)
    for part in alone:  # the SoundFont's parts first: they render while the rest plays here
        to_soundfont(part.name, [dry(part)])
    if together:
        production.ensemble_lead = together[0].name
        to_soundfont(ENSEMBLE, [_in_ensemble(part, production, together[0].name) for part in together])
    for part in parts:
        voicing = production.voicings[part.name]
        if voicing.kind == "synth":
            stems[part.name] = render_synth_part(part, voicing.settings, score, rate)
        elif voicing.kind == "drum machine":
            stems[part.name], left = render_drum_part(part, voicing.name, voicing.settings, score, rate)
            if left:  # the drums the machine lacks
                to_soundfont(part.name, [dry(part, left)])
    for stem, wait in pending:
        audio = wait()
        stems[stem] = stems[stem] + audio if stem in stems else audio
    order = [p.name for p in score.parts] + [ENSEMBLE]
    return {name: stems[name] for name in order if name in stems}


def _split_soundfont(parts: list) -> tuple[list, list]:
    """(parts rendered alone, parts rendered together): the bass, melody and drums keep their
    own stems first, then the others in score order, up to MAX_SOUNDFONT_STEMS renders."""
    if len(parts) <= MAX_SOUNDFONT_STEMS:
        return parts, []
    ranked = sorted(parts, key=lambda p: (p.name not in OWN_STEM, parts.index(p)))
    alone = ranked[: MAX_SOUNDFONT_STEMS - 1]
    return [p for p in parts if p in alone], [p for p in parts if p not in alone]


def _in_ensemble(part, production: Production, lead: str):
    """A part of the ensemble: its level against the ensemble's lead part as MIDI volume (a
    SoundFont's CC7 attenuates 40 log10(127 / v) dB) and its pan as CC10."""
    settings, lead_settings = production.part_mix(part.name), production.part_mix(lead)
    relative_db = settings.get("level_db", 0.0) - lead_settings.get("level_db", 0.0)
    volume = int(round(min(127, 127 * 10 ** (relative_db / 40))))
    pan = int(round(64 + 63 * settings.get("pan", 0.0)))
    return replace(part, notes=list(part.notes), reverb=0, pan=pan, volume=volume)


def kick_times_s(score: ScoreTokens) -> list[float]:
    drums = [p for p in score.parts if p.is_drum]
    return sorted(score.beat_to_s(n.start_beat) for p in drums for n in p.notes if n.pitch in KICKS)


def produce(score: ScoreTokens, soundfont, rate: int, production: Production | None = None) -> MixResult:
    """The score rendered and mixed; `production` defaults to the score's style's."""
    production = production or production_of(score.parts, score.style)
    dry = render_dry(score, production, soundfont, rate)
    if not dry:
        total = int(round(score.end_s * rate))
        return MixResult(np.zeros((2, total), np.float32), {})
    beat_s = 60.0 / score.tempo_bpm
    return mix_stems(dry, production, rate, beat_s, kick_times_s(score))
