"""Stems: a produced track's parts as separate files that sum to the mastered mix.

Each stem went through the mix as part of the whole (its inserts, its own share of the reverb
and delay returns, the sidechain and glue compressor's gain) and then through mastering's gain
curve, the limiter's included: the limiter's gain is worked out once on the mix and the same
curve multiplies every stem, so nothing is limited twice and the stems still add up to the mix
(to float rounding, far below -60 dB). A part's MIDI file holds its notes alone."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ..codecs.base import Waveform
from ..errors import InvalidRequest
from ..studio.render import ENSEMBLE
from ..tokens import ScoreTokens
from .export import export, write_audio


def stem_parts(score: ScoreTokens, stems: list[str]) -> dict[str, list]:
    """stem -> the score's parts it plays: a part's own stem, or the "ensemble" stem for the
    SoundFont parts rendered together (studio/render.py)."""
    playing = [p for p in score.parts if p.notes]
    own = {p.name: [p] for p in playing if p.name in stems}
    if ENSEMBLE in stems:
        own[ENSEMBLE] = [p for p in playing if p.name not in stems]
    return own


def write_stems(audio: Waveform, score: ScoreTokens | None, folder: str | Path, tags: dict | None = None) -> list[Path]:
    """ROLE.wav (32-bit float) for each stem of `audio` (a loop's stems keep its loop points), and ROLE.mid
    for each stem that plays notes of `score`, each tagged with `tags` (post/provenance.py). Returns the
    files written."""
    if not audio.stems:
        raise InvalidRequest(
            "Only a produced score has stems: choose a score engine (such as the composer) with the produced sound."
        )
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise InvalidRequest(f"{folder} is a file, not a folder for the stems.")
    folder.mkdir(parents=True, exist_ok=True)
    rate, written = audio.sample_rate_hz, []
    for role, stem in audio.stems.items():
        wave = Waveform(stem, rate, loop_points=audio.loop_points)
        written.append(write_audio(wave, folder / f"{role}.wav", unclipped=True, tags=tags))  # they sum to the mix
    if score is not None:
        for role, parts in stem_parts(score, list(audio.stems)).items():
            if parts:
                written.append(export(folder / f"{role}.mid", None, replace(score, parts=parts), tags))
    return written
