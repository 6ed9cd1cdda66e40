"""Where neural models run, and in what precision (shared by every neural engine)."""

from __future__ import annotations

import os


def pick_device() -> str:
    """MMGEN_DEVICE, else cuda, else mps, else cpu."""
    import torch

    if os.environ.get("MMGEN_DEVICE"):
        return os.environ["MMGEN_DEVICE"]
    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def model_dtype(device: str):
    """bfloat16 on a GPU that has it (else float16), float32 elsewhere; MMGEN_DTYPE overrides."""
    import torch

    dtype = torch.float32
    if device == "cuda":
        dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return getattr(torch, os.environ.get("MMGEN_DTYPE", ""), dtype)
