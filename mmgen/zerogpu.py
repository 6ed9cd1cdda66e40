"""ZeroGPU on Hugging Face Spaces: a GPU is attached to a handler only while it runs.

The `spaces` package (preinstalled on ZeroGPU Spaces) marks such handlers with `spaces.GPU`;
elsewhere, without the package or off ZeroGPU hardware, the handler runs as it is.
"""

from __future__ import annotations

from collections.abc import Callable

MIN_GPU_S, MAX_GPU_S = 20, 300  # the GPU time asked for one request, at least and at most
# Seconds of GPU per second of music, with a margin: musicgen-small ran at 10.3x real time on an
# H100 (batch 1, bf16); the 1.5B and 3.3B checkpoints are several times slower.
GPU_S_PER_MUSIC_S = {"small": 0.25, "large": 1.0}


def gpu_seconds(decoder: str, offline: bool, music_s: float, takes: int, sung: bool) -> int:
    """The ZeroGPU time to reserve for one request: score engines (offline) need little; neural
    engines need time in proportion to the music they make."""
    from .decoders.diffusion.checkpoints import CHECKPOINTS

    if offline and not sung:
        return MIN_GPU_S
    if decoder in CHECKPOINTS:  # diffusion: a fixed number of steps over the whole piece
        rate = CHECKPOINTS[decoder].gpu_s_per_music_s
    else:
        rate = GPU_S_PER_MUSIC_S["large" if any(w in decoder for w in ("medium", "large", "melody")) else "small"]
    seconds = 15 + music_s * takes * (rate if not offline else 0.0) + (music_s if sung else 0.0)
    return int(min(MAX_GPU_S, max(MIN_GPU_S, seconds)))


def on_zero_gpu(handler: Callable, duration: Callable[..., int]) -> Callable:
    """`handler` marked for ZeroGPU with a per-call `duration` (called with the handler's own
    arguments), or `handler` itself where the `spaces` package is not installed."""
    try:
        import spaces
    except ImportError:
        return handler
    return spaces.GPU(handler, duration=duration)
