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

CHECKPOINTS = {  # registry name -> hub repository
    "musicgen-small": "facebook/musicgen-small",
    "musicgen-medium": "facebook/musicgen-medium",
    "musicgen-large": "facebook/musicgen-large",
    "musicgen-stereo-small": "facebook/musicgen-stereo-small",
    "musicgen-stereo-medium": "facebook/musicgen-stereo-medium",
    "musicgen-stereo-large": "facebook/musicgen-stereo-large",
}
WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin")
HUB_TIMEOUT_S = 2.0
_CACHE_TTL_S = 60.0
_checked: dict[str, tuple[float, Availability, Path | str | None]] = {}


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes")


def local_folder(name: str) -> Path | None:
    """A folder holding the checkpoint's config and weights, if there is one on this machine."""
    override = os.environ.get("MMGEN_MUSICGEN_PATH")
    if override and name == "musicgen-small":
        path = Path(override)
        return path if (path / "config.json").is_file() else None
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return None
    config = try_to_load_from_cache(CHECKPOINTS[name], "config.json")
    if not isinstance(config, str):
        return None
    folder = Path(config).parent
    return folder if any((folder / f).is_file() for f in WEIGHT_FILES) else None


_hub_state: list = []  # [(checked_at, answers)]


def _hub_answers() -> bool:
    """Whether the hub answers within HUB_TIMEOUT_S (asked at most once a minute)."""
    import urllib.request

    now = time.monotonic()
    if _hub_state and now - _hub_state[0][0] < _CACHE_TTL_S:
        return _hub_state[0][1]
    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
    try:
        urllib.request.urlopen(urllib.request.Request(endpoint, method="HEAD"), timeout=HUB_TIMEOUT_S)
        answers = True
    except Exception:
        answers = False
    _hub_state[:] = [(now, answers)]
    return answers


def locate(name: str) -> tuple[Availability, Path | str | None]:
    """(availability, where to load from: a local folder or a hub id). Cached for a minute."""
    now = time.monotonic()
    if name in _checked and now - _checked[name][0] < _CACHE_TTL_S:
        return _checked[name][1], _checked[name][2]
    folder = local_folder(name)
    if folder is not None:
        result = (Availability(True), folder)
    elif _offline():
        result = (Availability(False, f"its weights ({CHECKPOINTS[name]}) are not on this machine and "
                                      "HF_HUB_OFFLINE is set"), None)
    elif _hub_answers():
        result = (Availability(True, f"weights download from the hub on first use ({CHECKPOINTS[name]})"),
                  CHECKPOINTS[name])
    else:
        result = (Availability(False, f"its weights ({CHECKPOINTS[name]}) are not on this machine and the "
                                      "Hugging Face hub cannot be reached"), None)
    _checked[name] = (now, *result)
    return result


def availability_check(name: str):
    return lambda: locate(name)[0]
