"""The diffusion checkpoints mmgen knows, where their weights are, and under what licence.

A checkpoint is offered only when its weights load without waiting on a download that cannot
finish: a local folder (its variable), the Hugging Face cache, or the hub when it answers within
a short timeout. Diffusers checkpoints are folders of components with a `model_index.json`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ...registry import Availability, Licence
from ...weights import locate_checkpoint

ACE_STEP_LICENCE = Licence(
    "MIT", "yes", "commercial use allowed", "MIT licence (ACE-Step 1.5): the tracks may be used commercially."
)
STABLE_AUDIO_LICENCE = Licence(
    "LicenseRef-Stability-AI-Community",
    "limited",
    "commercial use only under US$1M annual revenue, else an Enterprise licence",
    "Stability AI Community License (Stable Audio 3): free, commercial use included, for people and "
    "organisations with under US$1M annual revenue; above that, an Enterprise licence from Stability AI "
    "(https://stability.ai/community-license-agreement). Its text encoder is under the Gemma Terms of Use.",
)


@dataclass(frozen=True)
class Checkpoint:
    repo_id: str  # the hub repository, as the pipeline's docs name it
    variable: str  # environment variable naming a local folder with the checkpoint
    licence: Licence  # the weights' licence: what the people who use the tracks may do
    steps: int  # denoising steps it was made for
    guidance: float  # classifier-free guidance (1.0: distilled into the weights)
    gpu_s_per_music_s: float  # ZeroGPU time to reserve per second of music, with a margin


CHECKPOINTS = {
    # ACE-Step 1.5 XL turbo (guidance-distilled, 8 steps): the pipeline's own docstring names it.
    "ace-step": Checkpoint(
        "ACE-Step/acestep-v15-xl-turbo-diffusers", "MMGEN_ACE_STEP_PATH", ACE_STEP_LICENCE, 8, 1.0, 0.1
    ),
    # ACE-Step 1.5 XL base (not distilled: guidance on, more steps, slower; the most editable).
    "ace-step-base": Checkpoint(
        "ACE-Step/acestep-v15-xl-base-diffusers", "MMGEN_ACE_STEP_BASE_PATH", ACE_STEP_LICENCE, 32, 7.0, 0.5
    ),
    # Stable Audio 3 medium (distilled, 8 ping-pong steps), as its pipeline's docstring names it.
    "stable-audio-3": Checkpoint(
        "stabilityai/stable-audio-3-medium", "MMGEN_STABLE_AUDIO_3_PATH", STABLE_AUDIO_LICENCE, 8, 1.0, 0.1
    ),
}


def locate(name: str) -> tuple[Availability, Path | str | None]:
    """(availability, where to load from: a local folder or the hub id). Cached for a minute."""
    checkpoint = CHECKPOINTS[name]
    return locate_checkpoint(checkpoint.repo_id, checkpoint.variable, config="model_index.json")


def availability_check(name: str):
    return lambda: locate(name)[0]
