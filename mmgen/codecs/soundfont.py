"""The codec of score tokens: a General MIDI SoundFont synthesizer (midirenderer, a Rust
SoundFont engine from PyPI) renders the score to 44.1 kHz stereo.

SoundFont search order: $MMGEN_SOUNDFONT, then the better GM banks Debian installs
(FluidR3_GM from `fluid-soundfont-gm`, MuseScore General lossless), then TimGM6mb.sf2, which the
pretty_midi wheel ships, so rendering always works offline.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..errors import Unavailable
from ..registry import Availability
from ..tokens import ScoreTokens
from .base import Codec, Waveform
from .midi_render import SAMPLE_RATE_HZ, render_midi

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


class SoundFontCodec(Codec):
    token_kind = "score"

    @property
    def soundfont(self) -> Path:
        path, why = find_soundfont()
        if path is None:
            raise Unavailable(f"Cannot render audio: {why}.")
        return path

    def decode(self, tokens: ScoreTokens) -> Waveform:
        """Score -> float32 `[2, round(end_s * 44100)]`, trimmed or padded to the exact length
        (a loop's score: folded so it repeats seamlessly)."""
        if tokens.loop:
            from .looping import render_loop

            return render_loop(self.decode, tokens)
        return Waveform(self.render(tokens), SAMPLE_RATE_HZ)

    def render(self, tokens: ScoreTokens) -> np.ndarray:
        """The score as the SoundFont plays it: float32 `[2, round(end_s * 44100)]`."""
        path = self.soundfont
        return render_midi(path, path.stat().st_mtime, tokens.to_midi_bytes(), tokens.end_s)

    def render_later(self, tokens: ScoreTokens) -> Callable[[], np.ndarray]:
        """Start rendering `tokens` in a helper process when one is free (render_workers.py);
        the returned function waits for the audio, float32 `[2, round(end_s * 44100)]`."""
        from .render_workers import render_later

        path = self.soundfont
        return render_later((path, path.stat().st_mtime, tokens.to_midi_bytes(), tokens.end_s), render_midi)
