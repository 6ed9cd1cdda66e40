"""Audio a user brings (a clip to continue, a melody, a track to edit): decoded and checked, with a
plain message for each way a file can be wrong."""

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


def read_audio(path: str | Path, max_s: float, min_s: float = MIN_CLIP_S) -> tuple[np.ndarray, int, str]:
    """Decode an audio file to float32 `[N, C]` (its rate, its name), or raise InvalidRequest
    saying what is wrong: unreadable, empty, damaged, too short, too long or silent."""
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
    if not np.all(np.isfinite(data)):
        raise InvalidRequest(f"The audio file '{file.name}' is damaged (it holds invalid samples).")
    duration = len(data) / rate
    if duration < min_s:
        raise InvalidRequest(f"The clip is {duration:.2f} s long; it needs at least {min_s:g} s of music.")
    if duration > max_s:
        raise InvalidRequest(f"The clip is {duration:.0f} s long; please trim it to {max_s:g} s or less.")
    rms_db = 20 * np.log10(max(float(np.sqrt(np.mean(data.mean(axis=1) ** 2))), 1e-12))
    if rms_db < SILENCE_DBFS:
        raise InvalidRequest(f"The clip '{file.name}' is silent (or almost: {rms_db:.0f} dBFS).")
    return data, int(rate), file.name


def load_clip(path: str | Path, max_s: float = MAX_CLIP_S) -> AudioClip:
    """Decode an audio file to mono float32, or raise InvalidRequest saying what is wrong."""
    data, rate, name = read_audio(path, max_s)
    return AudioClip(data.mean(axis=1).astype(np.float32), rate, name)
