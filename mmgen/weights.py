"""Where pretrained weights can come from, checked without waiting on a download: a local
folder, the Hugging Face cache, or the hub when it answers within a short timeout.
HF_HUB_OFFLINE=1 is honoured."""

from __future__ import annotations

import os
import time
from pathlib import Path

WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin")
HUB_TIMEOUT_S = 2.0
CACHE_TTL_S = 60.0
_hub_state: list = []  # [(checked_at, answers)]


def offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes")


def cached_folder(repo_id: str) -> Path | None:
    """The snapshot folder of `repo_id` in the Hugging Face cache, if its config and weights are there."""
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return None
    config = try_to_load_from_cache(repo_id, "config.json")
    if not isinstance(config, str):
        return None
    folder = Path(config).parent
    return folder if any((folder / f).is_file() for f in WEIGHT_FILES) else None


def local_override(variable: str) -> Path | None:
    """A checkpoint folder named by an environment variable, when it holds a config."""
    value = os.environ.get(variable)
    if value and (Path(value) / "config.json").is_file():
        return Path(value)
    return None


def hub_answers() -> bool:
    """Whether the hub answers within HUB_TIMEOUT_S (asked at most once a minute)."""
    import urllib.request

    now = time.monotonic()
    if _hub_state and now - _hub_state[0][0] < CACHE_TTL_S:
        return _hub_state[0][1]
    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
    try:
        urllib.request.urlopen(urllib.request.Request(endpoint, method="HEAD"), timeout=HUB_TIMEOUT_S)
        answers = True
    except Exception:
        answers = False
    _hub_state[:] = [(now, answers)]
    return answers
