"""The `stable-audio-3` decoder: Stable Audio 3 (diffusers `StableAudio3Pipeline`), MusicPlan ->
VAE latents `[1, 256, T]`, rendered by the pipeline's `AutoencoderSAME` (44.1 kHz stereo).

The caption carries the plan (style, moods, instruments, tempo, key, meter) and the exact
duration conditions the model. Pieces longer than the model's longest pass (its duration
embedder's upper bound, 384 s for the medium checkpoint) are extended window by window with
the inpainting pipeline built from the same components; the audio-to-audio pipeline restyles.
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

    def on_reference(self, cls, pipe, plan, audio, generator, on_step, **task) -> np.ndarray:
        """One of Stable Audio 3's audio pipelines (built from the same components) on reference
        audio `[channels, n]` at the VAE's rate -> latents `[1, C, T]`."""
        import torch

        editing = cls(**pipe.components)
        editing.set_progress_bar_config(disable=True)
        arguments = self.plan_arguments(plan, audio.shape[1] / pipe.vae.config.sampling_rate)
        del arguments["guidance_scale"]  # the audio pipelines have no guidance
        reference = torch.from_numpy(np.ascontiguousarray(audio))[None]
        out = editing(**arguments, audio=reference, generator=generator, callback_on_step_end=on_step, **task)
        return out.audios.float().cpu().numpy()

    def repaint(self, pipe, plan, audio, start_s, end_s, generator, on_step) -> np.ndarray:
        """Stable Audio 3's inpainting: `start_s`..`end_s` painted anew, the rest kept."""
        from diffusers import StableAudio3InpaintPipeline

        return self.on_reference(
            StableAudio3InpaintPipeline,
            pipe,
            plan,
            audio,
            generator,
            on_step,
            mask_start_seconds=start_s,
            mask_end_seconds=end_s,
        )

    def cover(self, pipe, plan, audio, keep, generator, on_step) -> np.ndarray:
        """Stable Audio 3's audio-to-audio: the reference noised to 1 - keep / 2 and denoised, so
        `keep` 1 leaves half its structure standing and 0 none."""
        from diffusers import StableAudio3AudioToAudioPipeline

        return self.on_reference(
            StableAudio3AudioToAudioPipeline, pipe, plan, audio, generator, on_step, init_noise_level=1 - keep / 2
        )
