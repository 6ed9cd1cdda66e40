"""Where pretrained weights can come from, checked without waiting on a download: a local
folder, the Hugging Face cache, or the hub when it answers within a short timeout.
HF_HUB_OFFLINE=1 is honoured."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import ClassVar

WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin")
HUB_TIMEOUT_S = 2.0
CACHE_TTL_S = 60.0
_hub_state: list = []  # [(checked_at, answers)]


def offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes")


def cached_folder(repo_id: str, config: str = "config.json") -> Path | None:
    """The snapshot folder of `repo_id` in the Hugging Face cache, if its config and weights are there."""
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return None
    found = try_to_load_from_cache(repo_id, config)
    if not isinstance(found, str):
        return None
    folder = Path(found).parent
    return folder if has_weights(folder) else None


def has_weights(folder: Path) -> bool:
    """Whether a checkpoint folder holds weights: at its top (transformers) or in its components'
    subfolders (a diffusers pipeline, whose top holds only model_index.json)."""
    return any((folder / f).is_file() for f in WEIGHT_FILES) or any(
        next(folder.glob(f"*/{pattern}"), None) is not None
        for pattern in ("diffusion_pytorch_model*.safetensors", "model*.safetensors", "*.bin")
    )


def local_override(variable: str, config: str = "config.json") -> Path | None:
    """A checkpoint folder named by an environment variable, when it holds a config."""
    value = os.environ.get(variable)
    if value and (Path(value) / config).is_file():
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


_located: dict[tuple[str, str | None, str], tuple[float, object, Path | str | None]] = {}


def locate_checkpoint(repo_id: str, variable: str | None = None, config: str = "config.json"):
    """(Availability, where to load from: a local folder or the hub id) for a hub checkpoint:
    the folder in `variable`, the Hugging Face cache, or the hub when it answers in time.
    `config` names the checkpoint's config file. Cached for a minute; HF_HUB_OFFLINE is honoured."""
    from .registry import Availability

    now = time.monotonic()
    key = (repo_id, variable, config)
    if key in _located and now - _located[key][0] < CACHE_TTL_S:
        return _located[key][1], _located[key][2]
    folder = (local_override(variable, config) if variable and os.environ.get(variable) else None) or cached_folder(
        repo_id, config
    )
    if folder is not None:
        result = (Availability(True), folder)
    elif offline():
        result = (
            Availability(False, f"its weights ({repo_id}) are not on this machine and HF_HUB_OFFLINE is set"),
            None,
        )
    elif hub_answers():
        result = (Availability(True, f"weights download from the hub on first use ({repo_id})"), repo_id)
    else:
        result = (
            Availability(
                False, f"its weights ({repo_id}) are not on this machine and the Hugging Face hub cannot be reached"
            ),
            None,
        )
    _located[key] = (now, *result)
    return result


def forget_located() -> None:
    """Drop cached answers (tests, or after weights were added)."""
    _located.clear()


class LocalModel:
    """A model used only when its weights are already on this machine (never downloaded): one
    shared instance per weights folder. Subclasses give `folder()` and `__init__(folder)`."""

    _shared: ClassVar[list] = []

    @classmethod
    def folder(cls) -> Path | None:
        raise NotImplementedError

    @classmethod
    def shared(cls):
        """The process-wide instance, or None when the weights are not here."""
        folder = cls.folder()
        if folder is None:
            return None
        if not cls._shared or cls._shared[0][0] != folder:
            cls._shared = [(folder, cls(folder))]
        return cls._shared[0][1]
