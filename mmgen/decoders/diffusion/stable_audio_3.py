"""The `stable-audio-3` decoder: Stable Audio 3 (diffusers `StableAudio3Pipeline`), MusicPlan ->
VAE latents `[1, 256, T]`, rendered by the pipeline's `AutoencoderSAME` (44.1 kHz stereo).

The caption carries the plan (style, moods, instruments, tempo, key, meter) and the exact
duration conditions the model. Pieces longer than the model's longest pass (its duration
embedder's upper bound, 384 s for the medium checkpoint) are extended window by window with
the inpainting pipeline built from the same components.
"""

from __future__ import annotations

import numpy as np

from .base import DiffusionDecoder
from .checkpoints import CHECKPOINTS
from .prompts import stable_audio_caption


class StableAudio3Decoder(DiffusionDecoder):
    default_codec = "same"
    checkpoint = "stable-audio-3"

    def pipeline_class(self):
        from diffusers import StableAudio3Pipeline

        return StableAudio3Pipeline

    def model_longest_pass_s(self, pipe) -> float:
        return float(pipe.duration_embedder.config.max_val)

    def plan_arguments(self, plan, duration_s: float) -> dict:
        checkpoint = CHECKPOINTS[self.checkpoint]
        return {
            "prompt": stable_audio_caption(plan),
            "duration": duration_s,
            "num_inference_steps": checkpoint.steps,
            "guidance_scale": checkpoint.guidance,
            "output_type": "latent",
        }

    def prompt_notes(self, plan) -> dict:
        return {"caption": stable_audio_caption(plan), "duration_s": plan.duration_s}

    def generate(self, pipe, plan, duration_s, generator, on_step) -> np.ndarray:
        out = pipe(**self.plan_arguments(plan, duration_s), generator=generator, callback_on_step_end=on_step)
        return out.audios.float().cpu().numpy()  # [1, C, T]

    def extend(self, pipe, plan, kept_audio, duration_s, generator, on_step) -> np.ndarray:
        """Stable Audio 3's inpainting: keep the kept music, paint the rest of the window."""
        import torch
        from diffusers import StableAudio3InpaintPipeline

        inpaint = StableAudio3InpaintPipeline(**pipe.components)
        inpaint.set_progress_bar_config(disable=True)
        rate = pipe.vae.config.sampling_rate
        audio = torch.zeros(1, kept_audio.shape[0], round(duration_s * rate))
        audio[0, :, : kept_audio.shape[1]] = torch.from_numpy(kept_audio[:, : audio.shape[-1]])
        arguments = self.plan_arguments(plan, duration_s)
        del arguments["guidance_scale"]  # the inpainting pipeline has no guidance
        out = inpaint(
            **arguments,
            audio=audio,
            mask_start_seconds=kept_audio.shape[1] / rate,
            mask_end_seconds=duration_s,
            generator=generator,
            callback_on_step_end=on_step,
        )
        return out.audios.float().cpu().numpy()
