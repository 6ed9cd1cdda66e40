"""Audio clips a user brings (to be continued, or as a melody): decoded and checked, with a plain
message for each way a file can be wrong."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InvalidRequest
from .files import check_file

MIN_CLIP_S, MAX_CLIP_S = 1.0, 30.0
SILENCE_DBFS = -60.0


@dataclass
class AudioClip:
    samples: np.ndarray  # float32 `[N]`, mono
    sample_rate_hz: int
    name: str

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.sample_rate_hz


def load_clip(path: str | Path, max_s: float = MAX_CLIP_S) -> AudioClip:
    """Decode an audio file to mono float32, or raise InvalidRequest saying what is wrong."""
    import soundfile as sf

    file = check_file(path, "audio file")
    try:
        data, rate = sf.read(str(file), dtype="float32", always_2d=True)  # [N, C]
    except Exception:
        raise InvalidRequest(
            f"I can't read '{file.name}' as audio. Please upload a WAV, FLAC, MP3 or OGG file."
        ) from None
    if data.size == 0 or rate <= 0:
        raise InvalidRequest(f"The audio file '{file.name}' holds no sound.")
    mono = data.mean(axis=1)
    if not np.all(np.isfinite(mono)):
        raise InvalidRequest(f"The audio file '{file.name}' is damaged (it holds invalid samples).")
    duration = len(mono) / rate
    if duration < MIN_CLIP_S:
        raise InvalidRequest(f"The clip is {duration:.2f} s long; it needs at least {MIN_CLIP_S:g} s of music.")
    if duration > max_s:
        raise InvalidRequest(f"The clip is {duration:.0f} s long; please trim it to {max_s:g} s or less.")
    rms_db = 20 * np.log10(max(float(np.sqrt(np.mean(mono**2))), 1e-12))
    if rms_db < SILENCE_DBFS:
        raise InvalidRequest(f"The clip '{file.name}' is silent (or almost: {rms_db:.0f} dBFS).")
    return AudioClip(mono.astype(np.float32), int(rate), file.name)
