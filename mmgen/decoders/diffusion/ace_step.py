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
    can_extract = True

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

    def on_source(self, pipe, plan, audio, generator, on_step, **task) -> np.ndarray:
        """One of ACE-Step's tasks on source audio `[channels, n]` at the VAE's rate -> latents."""
        import torch

        duration_s = audio.shape[1] / pipe.vae.config.sampling_rate
        out = pipe(
            **self.plan_arguments(plan, duration_s),
            src_audio=torch.from_numpy(np.ascontiguousarray(audio)),
            generator=generator,
            callback_on_step_end=on_step,
            **task,
        )
        return out.audios.transpose(1, 2).float().cpu().numpy()

    def repaint(self, pipe, plan, audio, start_s, end_s, generator, on_step) -> np.ndarray:
        """ACE-Step's repaint: `start_s`..`end_s` painted anew, the rest of the source given to keep."""
        return self.on_source(
            pipe, plan, audio, generator, on_step, task_type="repaint", repainting_start=start_s, repainting_end=end_s
        )

    def cover(self, pipe, plan, audio, keep, generator, on_step) -> np.ndarray:
        """ACE-Step's cover: the source's structure (its 5 Hz semantic tokens) in the model's sound;
        `keep` is its `audio_cover_strength`."""
        return self.on_source(pipe, plan, audio, generator, on_step, task_type="cover", audio_cover_strength=keep)

    def extract(self, pipe, plan, audio, track, generator, on_step) -> np.ndarray:
        """ACE-Step's extract: one track ("vocals", "drums", "bass") of the source."""
        return self.on_source(pipe, plan, audio, generator, on_step, task_type="extract", track_name=track)


class AceStepBaseDecoder(AceStepDecoder):
    checkpoint = "ace-step-base"


class AceStepSinger(AceStepDecoder):
    """ACE-Step as a singer beside Bark: its `lego` task sings the lyrics as a vocal track over the
    accompaniment it hears (the composed track), in the plan's tempo and key."""

    sings_over = True

    def sing_over(self, plan: MusicPlan, accompaniment, seed: int, should_stop=None):
        """The vocal track for `accompaniment` (a Waveform of the plan) -> LatentTokens as long."""
        return self.on_audio(
            plan,
            accompaniment,
            seed,
            lambda pipe, audio, generator, on_step: self.on_source(
                pipe, plan, audio, generator, on_step, task_type="lego", track_name="vocals"
            ),
            should_stop=should_stop,
            sung="vocals",
        )
