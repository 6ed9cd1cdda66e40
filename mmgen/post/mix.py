"""Mixing sung vocals over the accompaniment: each vocal placed at its start, the accompaniment
ducked under the voice (its gain follows the voice's smoothed loudness), then summed."""

from __future__ import annotations

import numpy as np

from ..codecs.base import Waveform

DUCK_DB = -7.0  # the accompaniment's level while the voice sings
ATTACK_S, RELEASE_S = 0.05, 0.4
VOICE_GAIN_DB = 2.0  # the voice sits a little above the accompaniment


def _envelope(mono: np.ndarray, rate: int) -> np.ndarray:
    """0..1 loudness envelope: fast attack, slow release (one pole each way)."""
    level = np.abs(mono)
    peak = float(level.max()) or 1.0
    level = np.clip(level / (0.3 * peak), 0, 1)
    up, down = np.exp(-1 / (ATTACK_S * rate)), np.exp(-1 / (RELEASE_S * rate))
    out = np.empty_like(level)
    value = 0.0
    step = max(1, rate // 1000)  # follow at 1 kHz, then hold: plenty for a gain curve
    for i in range(0, len(level), step):
        target = level[i : i + step].max()
        coeff = up**step if target > value else down**step
        value = target + (value - target) * coeff
        out[i : i + step] = value
    return out


def mix_vocals(accompaniment: Waveform, vocals: list[tuple[float, Waveform]]) -> Waveform:
    """accompaniment `[2, N]`; vocals: (start s, waveform at the same rate). Same length out,
    with the accompaniment's stems (when it has them) and the voice as the "vocals" stem."""
    rate, total = accompaniment.sample_rate_hz, accompaniment.samples.shape[1]
    voice = np.zeros((2, total), dtype=np.float32)
    for start_s, wave in vocals:
        start = int(round(start_s * rate))
        if start >= total:
            continue
        piece = wave.samples[:, : total - start]
        voice[:, start : start + piece.shape[1]] += piece
    if not voice.any():
        return accompaniment
    envelope = _envelope(voice.mean(axis=0), rate)
    gain = 1.0 - (1.0 - 10 ** (DUCK_DB / 20)) * envelope
    voice_level = np.sqrt(np.mean(voice[:, envelope > 0.1] ** 2)) if (envelope > 0.1).any() else 1.0
    music_level = np.sqrt(np.mean(accompaniment.samples**2)) or 1.0
    voice *= 10 ** (VOICE_GAIN_DB / 20) * music_level / max(voice_level, 1e-6)  # the voice as loud as the music
    stems = None
    if accompaniment.stems:  # a produced score: its stems ducked alike, the voice one more
        stems = {role: (stem * gain).astype(np.float32) for role, stem in accompaniment.stems.items()}
        stems["vocals"] = voice
    mixed = (accompaniment.samples * gain + voice).astype(np.float32)
    return Waveform(mixed, rate, stems=stems, notes=dict(accompaniment.notes))
