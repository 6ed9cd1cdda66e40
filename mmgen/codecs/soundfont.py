"""The codec of score tokens: a General MIDI SoundFont synthesizer (midirenderer, a Rust
SoundFont engine from PyPI) renders the score to 44.1 kHz stereo.

SoundFont search order: $MMGEN_SOUNDFONT, then the better GM banks Debian installs
(FluidR3_GM from `fluid-soundfont-gm`, MuseScore General lossless), then TimGM6mb.sf2, which the
pretty_midi wheel ships, so rendering always works offline.
"""

from __future__ import annotations

import io
import os
from functools import cache
from pathlib import Path

import numpy as np
import soundfile as sf

from ..errors import Unavailable
from ..registry import Availability
from ..tokens import ScoreTokens
from .base import Codec, Waveform

SAMPLE_RATE_HZ = 44100
SYSTEM_SOUNDFONTS = (
    "/usr/share/sounds/sf2/FluidR3_GM.sf2",
    "/usr/share/sounds/sf2/MuseScore_General.sf2",
    "/usr/share/sounds/sf2/musescore-general-lossless.sf2",
)


def _bundled_soundfont() -> Path | None:
    try:
        import pretty_midi
    except ImportError:
        return None
    path = Path(pretty_midi.__file__).parent / "TimGM6mb.sf2"
    return path if path.is_file() else None


def find_soundfont() -> tuple[Path | None, str]:
    """(path, why) of the SoundFont to use; path None with the reason when there is none."""
    override = os.environ.get("MMGEN_SOUNDFONT")
    if override:
        path = Path(override)
        if path.is_file() and path.suffix.lower() == ".sf2":
            return path, "MMGEN_SOUNDFONT"
        return None, (f"MMGEN_SOUNDFONT points at {override}, which is not a readable .sf2 SoundFont file")
    for candidate in SYSTEM_SOUNDFONTS:
        if Path(candidate).is_file():
            return Path(candidate), "system SoundFont"
    bundled = _bundled_soundfont()
    if bundled:
        return bundled, "TimGM6mb (bundled with pretty_midi)"
    return None, "no General MIDI SoundFont was found (install pretty_midi, or set MMGEN_SOUNDFONT to an .sf2 file)"


def soundfont_availability() -> Availability:
    try:
        import midirenderer  # noqa: F401
    except ImportError:
        return Availability(False, "the synthesizer package midirenderer is not installed")
    path, why = find_soundfont()
    return Availability(path is not None, "" if path else why)


@cache
def _soundfont_bytes(path: Path, mtime: float) -> bytes:
    return path.read_bytes()


class SoundFontCodec(Codec):
    token_kind = "score"

    @property
    def soundfont(self) -> Path:
        path, why = find_soundfont()
        if path is None:
            raise Unavailable(f"Cannot render audio: {why}.")
        return path

    def decode(self, tokens: ScoreTokens) -> Waveform:
        """Score -> float32 `[2, round(end_s * 44100)]`, trimmed or padded to the exact length."""
        import midirenderer

        path = self.soundfont
        wav_bytes = midirenderer.render_wave_from(_soundfont_bytes(path, path.stat().st_mtime), tokens.to_midi_bytes())
        audio, rate = sf.read(io.BytesIO(wav_bytes), dtype="float32", always_2d=True)  # [N, C]
        audio = audio.T
        if rate != SAMPLE_RATE_HZ:
            import soxr

            audio = soxr.resample(audio.T, rate, SAMPLE_RATE_HZ).T
        if audio.shape[0] == 1:
            audio = np.repeat(audio, 2, axis=0)
        length = int(round(tokens.end_s * SAMPLE_RATE_HZ))
        if audio.shape[1] >= length:
            audio = audio[:, :length]
        else:
            audio = np.pad(audio, ((0, 0), (0, length - audio.shape[1])))
        return Waveform(np.ascontiguousarray(audio, dtype=np.float32), SAMPLE_RATE_HZ)
