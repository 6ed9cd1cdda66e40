"""Decoders: MusicPlan -> tokens. Each registers itself here by name."""

from ..registry import Availability, register


def _composer_availability() -> Availability:
    from .composer.harmony import STATS_PATH

    if not STATS_PATH.is_file():
        return Availability(False, f"its harmony statistics {STATS_PATH.name} are missing from assets/harmony "
                                   "(rebuild with: python -m mmgen.training.harmony_stats)")
    return Availability(True)


register(
    "decoder", "composer", "mmgen.decoders.composer:ComposerDecoder",
    "Rule-based composer: a full arrangement (chords from real-music statistics, bass, drums, "
    "accompaniment, melody) written from the plan. Offline, instant.",
    check=_composer_availability,
)


def _register_learned() -> None:
    from .learned import availability

    for family, target, description in (
            ("transformer", "learned:TransformerDecoder", "Learned Transformer: a small decoder-only Transformer "
             "trained on folk tunes and Bach chorales writes the chords and melody; the composer arranges them. "
             "Offline."),
            ("lstm", "learned:LstmDecoder", "Learned LSTM: an LSTM with attention trained on the same tunes writes "
             "the chords and melody; the composer arranges them. Offline."),
            ("vae", "grid:VaeDecoder", "Learned VAE: a beta-VAE trained on folk tunes and chorales writes the "
             "melody, phrase by phrase, over the composer's chords. Offline."),
            ("gan", "grid:GanDecoder", "Learned GAN: a conditional Wasserstein GAN writes the melody, the bass "
             "and the chords part's voices together, over the composer's harmony. Offline."),
            ("diffusion", "grid:DiffusionDecoder", "Learned diffusion: a denoising diffusion model writes the "
             "melody over the composer's chords in 20 solver steps. Offline.")):
        register("decoder", f"symbolic-{family}", f"mmgen.decoders.{target}", description,
                 check=lambda family=family: availability(family))


_register_learned()


def _register_musicgen() -> None:
    from .musicgen.checkpoints import availability_check

    variants = {
        "musicgen": ("MusicgenDecoder", "musicgen-small", "MusicGen small (300M): an autoregressive "
                     "Transformer over EnCodec tokens, text-conditioned. Needs its weights; fast on a GPU."),
        "musicgen-medium": ("MusicgenMedium", "musicgen-medium", "MusicGen medium (1.5B). Needs its weights and a GPU."),
        "musicgen-large": ("MusicgenLarge", "musicgen-large", "MusicGen large (3.3B). Needs its weights and a GPU."),
        "musicgen-stereo": ("MusicgenStereo", "musicgen-stereo-small", "MusicGen small, stereo. Needs its weights."),
        "musicgen-melody": ("MusicgenMelody", "musicgen-melody", "MusicGen melody (1.5B): follows the melody of "
                            "a clip you upload or hum, and the text. Needs its weights and a GPU."),
        "musicgen-stereo-melody": ("MusicgenStereoMelody", "musicgen-stereo-melody",
                                   "MusicGen melody, stereo. Needs its weights and a GPU."),
    }
    for name, (cls, checkpoint, description) in variants.items():
        register("decoder", name, f"mmgen.decoders.musicgen.decoder:{cls}", description,
                 check=availability_check(checkpoint), offline=False,
                 clip_use="melody" if "melody" in checkpoint else "continue")


_register_musicgen()


def _register_singers() -> None:
    from .bark import locate

    for name, cls, description in (
            ("bark-small", "BarkSinger", "Bark small: sings the lyrics (♪-wrapped lines) over the accompaniment. "
                                         "Needs its weights; slow on a CPU."),
            ("bark", "BarkFull", "Bark: sings the lyrics over the accompaniment. Needs its weights and a GPU.")):
        register("singer", name, f"mmgen.decoders.bark:{cls}", description,
                 check=lambda name=name: locate(name)[0], offline=False)


_register_singers()
