"""Seamless loops from a score codec: the score is rendered with a short pre-roll and a long tail,
then what sounds before the first beat is folded onto the loop's end and what rings past its
last sample (releases, the reverb and delay returns) back onto its start. Played on repeat, the
file then sounds exactly as the music would going round: no click, no gap, no dry restart."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from ..tokens import ScoreTokens
from .base import Waveform

PREROLL_BEATS = 1  # notes a player pushes ahead of the first beat sound in here (whole beats: whole MIDI ticks)
TAIL_S = 6.0  # the longest reverb of the studio's rooms decays within this


def render_loop(render: Callable[[ScoreTokens], Waveform], score: ScoreTokens) -> Waveform:
    """`render(score)` of a loop's score, folded so it lasts exactly `score.end_s` and repeats
    seamlessly. Its stems (a produced score) are folded alike, so they still sum to it."""
    preroll_s = PREROLL_BEATS * 60.0 / score.tempo_bpm
    shifted = replace(
        score,
        start_s=score.start_s + preroll_s,
        end_s=score.end_s + preroll_s + TAIL_S,
        tempo_pins=[(beat, time + preroll_s) for beat, time in score.tempo_pins],
        loop=False,
    )
    wave = render(shifted)
    rate = wave.sample_rate_hz
    pre, length = int(round(preroll_s * rate)), int(round(score.end_s * rate))
    stems = {role: fold(stem, pre, length) for role, stem in wave.stems.items()} if wave.stems else None
    return Waveform(fold(wave.samples, pre, length), rate, stems=stems, notes=dict(wave.notes))


def fold(audio: np.ndarray, pre: int, length: int) -> np.ndarray:
    """audio `[C, pre + length + tail]` -> `[C, length]`: the pre-roll added onto the last `pre`
    samples, the tail added onto the start, one loop length at a time."""
    out = audio[:, pre : pre + length].astype(np.float32, copy=True)
    tail = audio[:, pre + length :]
    for start in range(0, tail.shape[-1], length):
        piece = tail[:, start : start + length]
        out[:, : piece.shape[-1]] += piece
    lead = audio[:, :pre][:, -length:]
    out[:, length - lead.shape[-1] :] += lead
    return out
