"""The `ace-step` decoders: ACE-Step 1.5 (diffusers `AceStepPipeline`), MusicPlan -> VAE latents.

The plan drives it: the caption says what the music is, the metadata its tempo, key, meter and
length, and with lyrics the song is sung by the model itself: the lyric form's sections tagged
`[verse]`, `[chorus]`..., in the language the lyrics are written in. Latents are `[1, 64, T]` at
25 frames a second, rendered by the pipeline's `AutoencoderOobleck` (48 kHz stereo).
"""

from __future__ import annotations

import numpy as np

from ...plan import MusicPlan
from .base import DiffusionDecoder
from .checkpoints import CHECKPOINTS
from .prompts import ace_step_caption, tagged_lyrics, time_signature, vocal_language

LONGEST_PASS_S = 600.0  # ACE-Step 1.5 makes 10 s to 10 minutes in one pass


class AceStepDecoder(DiffusionDecoder):
    default_codec = "oobleck"
    checkpoint = "ace-step"

    def pipeline_class(self):
        from diffusers import AceStepPipeline

        return AceStepPipeline

    def model_longest_pass_s(self, pipe) -> float:
        return LONGEST_PASS_S

    def plan_arguments(self, plan: MusicPlan, duration_s: float) -> dict:
        """What the plan tells the pipeline: caption, metadata, tagged lyrics and their language."""
        checkpoint = CHECKPOINTS[self.checkpoint]
        return {
            "prompt": ace_step_caption(plan),
            "lyrics": tagged_lyrics(plan),
            "vocal_language": vocal_language(plan),
            "audio_duration": duration_s,
            "bpm": round(plan.tempo_bpm),
            "keyscale": plan.key.name,
            "timesignature": time_signature(plan),
            "num_inference_steps": checkpoint.steps,
            "guidance_scale": checkpoint.guidance,
            "output_type": "latent",
        }

    def prompt_notes(self, plan: MusicPlan) -> dict:
        arguments = self.plan_arguments(plan, plan.duration_s)
        notes = {
            "caption": arguments["prompt"],
            "metadata": {k: arguments[k] for k in ("bpm", "keyscale", "timesignature", "audio_duration")},
        }
        if plan.lyric_slots:  # sung by the model itself
            notes.update(lyrics=arguments["lyrics"], vocal_language=arguments["vocal_language"])
        return notes

    def generate(self, pipe, plan, duration_s, generator, on_step) -> np.ndarray:
        out = pipe(**self.plan_arguments(plan, duration_s), generator=generator, callback_on_step_end=on_step)
        return out.audios.transpose(1, 2).float().cpu().numpy()  # [1, T, C] -> [1, C, T]

    def extend(self, pipe, plan, kept_audio, duration_s, generator, on_step) -> np.ndarray:
        """ACE-Step's repaint: the window's audio is the kept music then silence, and all after
        the kept music is painted anew."""
        import torch

        rate = pipe.vae.config.sampling_rate
        source = torch.zeros(kept_audio.shape[0], round(duration_s * rate))
        source[:, : kept_audio.shape[1]] = torch.from_numpy(kept_audio[:, : source.shape[1]])
        out = pipe(
            **self.plan_arguments(plan, duration_s),
            task_type="repaint",
            src_audio=source,
            repainting_start=kept_audio.shape[1] / rate,
            repainting_end=-1,
            generator=generator,
            callback_on_step_end=on_step,
        )
        return out.audios.transpose(1, 2).float().cpu().numpy()


class AceStepBaseDecoder(AceStepDecoder):
    checkpoint = "ace-step-base"
