"""The built-in components, registered in one place: each encoder, decoder, singer and codec by
name, with the class that implements it (imported on first use), a line for people and the check
that says whether it can run here.

`register_builtins()` is called by the pipeline when it is imported (and by anything else that
lists components); adding a component is one file and one entry below.
"""

from __future__ import annotations

import functools

from .codecs.encodec_package import availability as package_codec_availability
from .codecs.soundfont import soundfont_availability
from .codecs.studio import studio_availability
from .codecs.vocos import availability as vocos_availability
from .decoders.bark import locate as locate_bark
from .decoders.composer.harmony import STATS_PATH
from .decoders.diffusion.checkpoints import CHECKPOINTS as DIFFUSION_CHECKPOINTS
from .decoders.diffusion.checkpoints import availability_check as diffusion_availability
from .decoders.learned import availability as learned_availability
from .decoders.musicgen.checkpoints import MUSICGEN_VARIANTS
from .decoders.musicgen.checkpoints import availability_check as musicgen_availability
from .encoders.text import multilingual_encoder_availability, text_encoder_availability
from .registry import Availability, Licence, register

LEARNED_FAMILIES = {
    "transformer": (
        "learned:TransformerDecoder",
        "Learned Transformer: a small decoder-only Transformer trained on "
        "folk tunes and Bach chorales writes the chords and melody; the composer arranges them. "
        "Offline.",
    ),
    "lstm": (
        "learned:LstmDecoder",
        "Learned LSTM: an LSTM with attention trained on the same tunes writes the chords "
        "and melody; the composer arranges them. Offline.",
    ),
    "vae": (
        "grid:VaeDecoder",
        "Learned VAE: a beta-VAE trained on folk tunes and chorales writes the melody, phrase "
        "by phrase, over the composer's chords. Offline.",
    ),
    "gan": (
        "grid:GanDecoder",
        "Learned GAN: a conditional Wasserstein GAN writes the melody, the bass and the "
        "chords part's voices together, over the composer's harmony. Offline.",
    ),
    "diffusion": (
        "grid:DiffusionDecoder",
        "Learned diffusion: a denoising diffusion model writes the melody over the "
        "composer's chords in 20 solver steps. Offline.",
    ),
}

# What the people who use each engine's tracks may do with them (shown where the engine is chosen,
# under the result, in the report and in every file's tags; docs/engines.md, "Licence of use").
COMPOSER_LICENCE = Licence(
    "LicenseRef-mmgen-own",
    "yes",
    "yours to use, commercially too",
    "Yours to use, commercially too: mmgen's own rule-based composer, its chord statistics counted from "
    "public-domain music (the music21 corpus).",
)
LEARNED_LICENCE = Licence(
    "LicenseRef-mmgen-own",
    "yes",
    "yours to use, commercially too; trained only on public-domain music",
    "Yours to use, commercially too: mmgen's own model, trained only on public-domain music (O'Neill's "
    "and Ryan's collections, Bach's chorales).",
)
MUSICGEN_LICENCE = Licence(
    "CC-BY-NC-4.0",
    "no",
    "non-commercial use only",
    "CC-BY-NC 4.0 (MusicGen's weights): its tracks are for non-commercial use only.",
)
BARK_LICENCE = Licence(
    "MIT", "yes", "commercial use allowed", "MIT licence (Bark): the vocals may be used commercially."
)

DIFFUSION_DECODERS = {  # name -> (class in decoders/diffusion/, description)
    "ace-step": (
        "ace_step:AceStepDecoder",
        "ACE-Step 1.5 XL turbo: a diffusion Transformer over audio latents; follows the plan's tempo, "
        "key, meter and length, and sings lyrics itself. Needs its weights and a GPU.",
    ),
    "ace-step-base": (
        "ace_step:AceStepBaseDecoder",
        "ACE-Step 1.5 XL base: the undistilled model (guidance, 32 steps): slower, the most faithful. "
        "Needs its weights and a GPU.",
    ),
    "stable-audio-3": (
        "stable_audio_3:StableAudio3Decoder",
        "Stable Audio 3 medium: a diffusion Transformer over audio latents, text to music of the exact "
        "length. Needs its weights and a GPU.",
    ),
}

SINGERS = {
    "bark-small": (
        "BarkSinger",
        "Bark small: sings the lyrics (♪-wrapped lines) over the accompaniment. Needs its weights; slow on a CPU.",
    ),
    "bark": ("BarkFull", "Bark: sings the lyrics over the accompaniment. Needs its weights and a GPU."),
}

PACKAGE_CODECS = {
    "encodec-24khz": (
        "PackageEncodecCodec",
        "EnCodec 24 kHz mono (the encodec package; Bark's audio tokens). Saves .ecdc files.",
    ),
    "encodec-48khz": ("Encodec48Codec", "EnCodec 48 kHz stereo (the encodec package). Saves .ecdc files."),
}


def composer_availability() -> Availability:
    if not STATS_PATH.is_file():
        return Availability(
            False,
            f"its harmony statistics {STATS_PATH.name} are missing from assets/harmony "
            "(rebuild with: python -m mmgen.training.harmony_stats)",
        )
    return Availability(True)


@functools.cache
def register_builtins() -> None:
    """Register every built-in component (once per process)."""
    register(
        "encoder",
        "text",
        "mmgen.encoders.text:TextEncoder",
        "all-MiniLM-L6-v2 sentence embeddings scored against a vocabulary of musical descriptors.",
        check=text_encoder_availability,
    )
    register(
        "encoder",
        "text-multilingual",
        "mmgen.encoders.text:MultilingualTextEncoder",
        "paraphrase-multilingual-MiniLM-L12-v2 sentence embeddings, used for descriptions not in "
        "English when its weights are in the Hugging Face cache.",
        check=multilingual_encoder_availability,
        offline=False,
    )

    register(
        "decoder",
        "composer",
        "mmgen.decoders.composer:ComposerDecoder",
        "Rule-based composer: a full arrangement (chords from real-music statistics, bass, drums, "
        "accompaniment, melody) written from the plan. Offline, instant.",
        check=composer_availability,
        licence=COMPOSER_LICENCE,
    )
    for family, (target, description) in LEARNED_FAMILIES.items():
        register(
            "decoder",
            f"symbolic-{family}",
            f"mmgen.decoders.{target}",
            description,
            check=lambda family=family: learned_availability(family),
            licence=LEARNED_LICENCE,
        )
    for name, (cls, checkpoint, description) in MUSICGEN_VARIANTS.items():
        register(
            "decoder",
            name,
            f"mmgen.decoders.musicgen.decoder:{cls}",
            description,
            check=musicgen_availability(checkpoint),
            offline=False,
            clip_use="melody" if "melody" in checkpoint else "continue",
            licence=MUSICGEN_LICENCE,
            tokens="audio",
        )
    for name, (target, description) in DIFFUSION_DECODERS.items():
        register(
            "decoder",
            name,
            f"mmgen.decoders.diffusion.{target}",
            description,
            check=diffusion_availability(name),
            offline=False,
            licence=DIFFUSION_CHECKPOINTS[name].licence,
            tokens="latent",
        )

    for name, (cls, description) in SINGERS.items():
        register(
            "singer",
            name,
            f"mmgen.decoders.bark:{cls}",
            description,
            check=lambda name=name: locate_bark(name)[0],
            offline=False,
            licence=BARK_LICENCE,
        )
    register(
        "singer",
        "ace-step",
        "mmgen.decoders.diffusion.ace_step:AceStepSinger",
        "ACE-Step 1.5: sings the lyrics as a vocal track over the accompaniment it hears, in its tempo "
        "and key. Needs its weights and a GPU.",
        check=diffusion_availability("ace-step"),
        offline=False,
        licence=DIFFUSION_CHECKPOINTS["ace-step"].licence,
    )

    register(
        "codec",
        "soundfont",
        "mmgen.codecs.soundfont:SoundFontCodec",
        "General MIDI SoundFont synthesizer for score tokens (44.1 kHz stereo).",
        check=soundfont_availability,
    )
    register(
        "codec",
        "studio",
        "mmgen.codecs.studio:StudioCodec",
        "Produced sound for score tokens: synths, drum machines and the SoundFont, mixed the style's way.",
        check=studio_availability,
    )
    register(
        "codec",
        "encodec",
        "mmgen.codecs.encodec:EncodecCodec",
        "EnCodec neural audio codec for audio tokens (the 32 kHz model inside MusicGen, the 24 kHz one in Bark).",
    )
    for name, (cls, description) in PACKAGE_CODECS.items():
        register(
            "codec",
            name,
            f"mmgen.codecs.encodec_package:{cls}",
            description,
            check=lambda name=name: package_codec_availability(name),
            offline=False,
        )
    register(
        "codec",
        "oobleck",
        "mmgen.codecs.latent:OobleckCodec",
        "AutoencoderOobleck: the VAE of ACE-Step 1.5 that renders its latents (48 kHz stereo).",
        offline=False,
    )
    register(
        "codec",
        "same",
        "mmgen.codecs.latent:SameCodec",
        "AutoencoderSAME: the VAE of Stable Audio 3 that renders its latents (44.1 kHz stereo).",
        offline=False,
    )
    register(
        "codec",
        "vocos",
        "mmgen.codecs.vocos:VocosCodec",
        "Vocos: a GAN-trained vocoder for EnCodec 24 kHz tokens (Bark's voice, --vocals-codec vocos). "
        "Needs its weights and EnCodec 24 kHz's.",
        check=vocos_availability,
        offline=False,
    )
