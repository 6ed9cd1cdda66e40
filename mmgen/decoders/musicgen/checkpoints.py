"""Which MusicGen checkpoints exist, where their weights are, and whether they can load here.

A checkpoint is offered only when its weights can be loaded without waiting on a download that
cannot finish: from a local folder (MMGEN_MUSICGEN_PATH), from the Hugging Face cache, or from
the hub when it answers within a short timeout. HF_HUB_OFFLINE=1 is honoured.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from ...registry import Availability
from ...weights import CACHE_TTL_S, cached_folder, hub_answers, local_override, offline

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
LOCAL_OVERRIDES = {  # checkpoint -> environment variable naming a local folder with its files
    "musicgen-small": "MMGEN_MUSICGEN_PATH",
    "musicgen-melody": "MMGEN_MUSICGEN_MELODY_PATH",
}
_checked: dict[str, tuple[float, Availability, Path | str | None]] = {}


def local_folder(name: str) -> Path | None:
    """A folder holding the checkpoint's config and weights, if there is one on this machine."""
    variable = LOCAL_OVERRIDES.get(name)
    if variable and os.environ.get(variable):
        return local_override(variable)
    return cached_folder(CHECKPOINTS[name])


def locate(name: str) -> tuple[Availability, Path | str | None]:
    """(availability, where to load from: a local folder or a hub id). Cached for a minute."""
    now = time.monotonic()
    if name in _checked and now - _checked[name][0] < CACHE_TTL_S:
        return _checked[name][1], _checked[name][2]
    folder = local_folder(name)
    if folder is not None:
        result = (Availability(True), folder)
    elif offline():
        result = (Availability(False, f"its weights ({CHECKPOINTS[name]}) are not on this machine and "
                                      "HF_HUB_OFFLINE is set"), None)
    elif hub_answers():
        result = (Availability(True, f"weights download from the hub on first use ({CHECKPOINTS[name]})"),
                  CHECKPOINTS[name])
    else:
        result = (Availability(False, f"its weights ({CHECKPOINTS[name]}) are not on this machine and the "
                                      "Hugging Face hub cannot be reached"), None)
    _checked[name] = (now, *result)
    return result


def availability_check(name: str):
    return lambda: locate(name)[0]
