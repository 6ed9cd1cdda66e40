"""Codecs: tokens -> waveform. Each registers itself here by name."""

from ..registry import register
from .soundfont import soundfont_availability

register(
    "codec", "soundfont", "mmgen.codecs.soundfont:SoundFontCodec",
    "General MIDI SoundFont synthesizer for score tokens (44.1 kHz stereo).",
    check=soundfont_availability,
)

register(
    "codec", "encodec", "mmgen.codecs.encodec:EncodecCodec",
    "EnCodec neural audio codec for audio tokens (the 32 kHz model inside MusicGen).",
)
