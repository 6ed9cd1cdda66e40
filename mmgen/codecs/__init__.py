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


def _register_package_codecs() -> None:
    from .encodec_package import availability

    descriptions = {
        "encodec-24khz": ("PackageEncodecCodec", "EnCodec 24 kHz mono (the encodec package; Bark's audio tokens). "
                          "Saves .ecdc files."),
        "encodec-48khz": ("Encodec48Codec", "EnCodec 48 kHz stereo (the encodec package). Saves .ecdc files."),
    }
    for name, (cls, description) in descriptions.items():
        register("codec", name, f"mmgen.codecs.encodec_package:{cls}", description,
                 check=lambda name=name: availability(name), offline=False)


_register_package_codecs()
