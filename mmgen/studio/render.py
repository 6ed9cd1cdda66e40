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


def render_dry(score: ScoreTokens, production: Production, soundfont, rate: int) -> dict[str, np.ndarray]:
    """role -> the part as its instrument plays it, dry: float32 `[2, round(end_s * rate)]`.
    `soundfont` is a codecs.soundfont.SoundFontCodec (44.1 kHz): its parts render in worker
    processes while the synths and drum machines play here."""
    stems: dict[str, np.ndarray] = {}
    pending = []  # (role, waits for the SoundFont's audio)

    def to_soundfont(part, notes) -> None:  # played by the SoundFont, dry and centred
        alone = replace(score, parts=[replace(part, notes=list(notes), reverb=0, pan=64, volume=100)])
        pending.append((part.name, soundfont.render_later(alone)))

    parts = [p for p in score.parts if p.notes]
    for part in parts:  # the SoundFont's parts first: they render while the rest plays here
        if production.voicings[part.name].kind == "soundfont":
            to_soundfont(part, part.notes)
    for part in parts:
        voicing = production.voicings[part.name]
        if voicing.kind == "synth":
            stems[part.name] = render_synth_part(part, voicing.settings, score, rate)
        elif voicing.kind == "drum machine":
            stems[part.name], left = render_drum_part(part, voicing.name, voicing.settings, score, rate)
            if left:  # the drums the machine lacks
                to_soundfont(part, left)
    for role, wait in pending:
        played = wait()
        stems[role] = stems[role] + played if role in stems else played
    return {part.name: stems[part.name] for part in score.parts if part.name in stems}  # in score order


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
