"""The produced sound of score tokens: synth voices and drum machines where the style asks for
them, the SoundFont for the acoustic parts, then the style's mix (mmgen/studio). The waveform
carries its stems (they sum to it) and names the instruments and effects used."""

from __future__ import annotations

from ..registry import Availability
from ..tokens import ScoreTokens
from .base import Codec, Waveform
from .soundfont import SAMPLE_RATE_HZ, SoundFontCodec, soundfont_availability


def studio_availability() -> Availability:
    try:
        import pedalboard  # noqa: F401
    except ImportError:
        return Availability(False, "the effects package pedalboard is not installed")
    return soundfont_availability()


class StudioCodec(Codec):
    token_kind = "score"

    def __init__(self) -> None:
        self.soundfont_codec = SoundFontCodec()

    @property
    def soundfont(self):
        return self.soundfont_codec.soundfont

    def decode(self, tokens: ScoreTokens) -> Waveform:
        """Score -> float32 `[2, round(end_s * 44100)]` with its stems (a loop's score: folded
        so it repeats seamlessly)."""
        if tokens.loop:
            from .looping import render_loop

            return render_loop(self.decode, tokens)
        from ..studio.production import production_of
        from ..studio.render import produce

        production = production_of(tokens.parts, tokens.style)
        result = produce(tokens, self.soundfont_codec, SAMPLE_RATE_HZ, production)
        notes = {
            "mix": production.mix["label"],
            "instruments": {
                role: f"{v.label} ({v.kind})" for role, v in production.voicings.items() if role in result.stems
            },
            "effects": result.effects,
            # what the explanation names: the parts a synth voice or drum machine plays
            "studio_voices": {
                role: v.label
                for role, v in production.voicings.items()
                if role in result.stems and v.kind != "soundfont"
            },
        }
        return Waveform(result.mix, SAMPLE_RATE_HZ, stems=result.stems, notes=notes)
