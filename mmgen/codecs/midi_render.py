"""MIDI bytes to audio with a SoundFont (midirenderer, a Rust SoundFont engine from PyPI): the
one function the SoundFont codec and its helper processes (render_workers.py) share."""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

import numpy as np
import soundfile as sf

SAMPLE_RATE_HZ = 44100


@cache
def _soundfont_bytes(path: Path, mtime: float) -> bytes:
    return path.read_bytes()


def render_midi(path: Path, mtime: float, midi: bytes, end_s: float) -> np.ndarray:
    """MIDI bytes as the SoundFont plays them: float32 `[2, round(end_s * 44100)]`."""
    import midirenderer

    wav_bytes = midirenderer.render_wave_from(_soundfont_bytes(path, mtime), midi)
    audio, rate = sf.read(io.BytesIO(wav_bytes), dtype="float32", always_2d=True)  # [N, C]
    audio = audio.T
    if rate != SAMPLE_RATE_HZ:
        import soxr

        audio = soxr.resample(audio.T, rate, SAMPLE_RATE_HZ).T
    if audio.shape[0] == 1:
        audio = np.repeat(audio, 2, axis=0)
    length = int(round(end_s * SAMPLE_RATE_HZ))
    if audio.shape[1] >= length:
        audio = audio[:, :length]
    else:
        audio = np.pad(audio, ((0, 0), (0, length - audio.shape[1])))
    return np.ascontiguousarray(audio, dtype=np.float32)
