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
