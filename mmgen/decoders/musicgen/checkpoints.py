"""Which MusicGen checkpoints exist, where their weights are, and whether they can load here.

A checkpoint is offered only when its weights can be loaded without waiting on a download that
cannot finish: from a local folder (MMGEN_MUSICGEN_PATH), from the Hugging Face cache, or from
the hub when it answers within a short timeout. HF_HUB_OFFLINE=1 is honoured.
"""

from __future__ import annotations

import os
from pathlib import Path

from ...registry import Availability
from ...weights import cached_folder, local_override, locate_checkpoint

CHECKPOINTS = {  # registry name -> hub repository
    "musicgen-small": "facebook/musicgen-small",
    "musicgen-medium": "facebook/musicgen-medium",
    "musicgen-large": "facebook/musicgen-large",
    "musicgen-stereo-small": "facebook/musicgen-stereo-small",
    "musicgen-stereo-medium": "facebook/musicgen-stereo-medium",
    "musicgen-stereo-large": "facebook/musicgen-stereo-large",
    "musicgen-melody": "facebook/musicgen-melody",
    "musicgen-stereo-melody": "facebook/musicgen-stereo-melody",
}
MUSICGEN_VARIANTS = {  # name -> (class in decoders/musicgen/decoder.py, checkpoint, description)
    "musicgen": (
        "MusicgenDecoder",
        "musicgen-small",
        "MusicGen small (300M): an autoregressive Transformer over "
        "EnCodec tokens, text-conditioned. Needs its weights; fast on a GPU.",
    ),
    "musicgen-medium": ("MusicgenMedium", "musicgen-medium", "MusicGen medium (1.5B). Needs its weights and a GPU."),
    "musicgen-large": ("MusicgenLarge", "musicgen-large", "MusicGen large (3.3B). Needs its weights and a GPU."),
    "musicgen-stereo": ("MusicgenStereo", "musicgen-stereo-small", "MusicGen small, stereo. Needs its weights."),
    "musicgen-melody": (
        "MusicgenMelody",
        "musicgen-melody",
        "MusicGen melody (1.5B): follows the melody of a clip "
        "you upload or hum, and the text. Needs its weights and a GPU.",
    ),
    "musicgen-stereo-melody": (
        "MusicgenStereoMelody",
        "musicgen-stereo-melody",
        "MusicGen melody, stereo. Needs its weights and a GPU.",
    ),
}
LOCAL_OVERRIDES = {  # checkpoint -> environment variable naming a local folder with its files
    "musicgen-small": "MMGEN_MUSICGEN_PATH",
    "musicgen-melody": "MMGEN_MUSICGEN_MELODY_PATH",
}


def local_folder(name: str) -> Path | None:
    """A folder holding the checkpoint's config and weights, if there is one on this machine."""
    variable = LOCAL_OVERRIDES.get(name)
    if variable and os.environ.get(variable):
        return local_override(variable)
    return cached_folder(CHECKPOINTS[name])


def locate(name: str) -> tuple[Availability, Path | str | None]:
    """(availability, where to load from: a local folder or a hub id). Cached for a minute."""
    return locate_checkpoint(CHECKPOINTS[name], LOCAL_OVERRIDES.get(name))


def availability_check(name: str):
    return lambda: locate(name)[0]
