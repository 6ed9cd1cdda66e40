"""What the diffusion decoders share: loading a diffusers pipeline once, the denoising loop's
progress and Cancel, and pieces longer than one pass made in windows.

A piece no longer than the model's longest pass is one pass. A longer one is made window by
window: each new window is an *extension* that keeps the last `context_s` of the music so far
(decoded by the pipeline's VAE, given back as the audio to keep) and generates the rest; its new
latents join the old ones with a short crossfade, so the VAE renders one continuous stream.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable
from typing import ClassVar

import numpy as np

from ...checkpoints import DIFFUSERS_LORA_FILES, personal_weights, requested_weights, weights_stamp
from ...devices import model_dtype, pick_device
from ...errors import Cancelled, InvalidRequest, Unavailable
from ...plan import MusicPlan
from ...tokens import LatentTokens
from ..base import Decoder, ProgressFn
from .checkpoints import CHECKPOINTS, locate

CONTEXT_S = 10.0  # music kept (and continued) at the start of each later window
CROSSFADE_S = 0.5  # latents crossfaded where windows join
OFFLOAD_MARGIN = 1.3  # load whole onto the GPU only when free memory exceeds the weights by this


def weight_bytes(pipe) -> int:
    models = [m for m in pipe.components.values() if hasattr(m, "parameters")]
    return sum(p.numel() * p.element_size() for m in models for p in m.parameters())


def place(pipe, device: str) -> str:
    """Move the pipeline to `device`; on a GPU too small for all of it, offload each model to the
    CPU while the others run (diffusers' model CPU offload). Returns how it was placed."""
    import torch

    if device == "cuda" and torch.cuda.mem_get_info()[0] < OFFLOAD_MARGIN * weight_bytes(pipe):
        pipe.enable_model_cpu_offload()
        return "cuda (model CPU offload)"
    pipe.to(device)
    return device


def crossfade_join(before: np.ndarray, after: np.ndarray, overlap: int, fade: int) -> np.ndarray:
    """Latents `[B, C, T1]` and `[B, C, T2]` whose first `overlap` frames re-make the last
    `overlap` of `before` -> one stream: `before`, then `after` from its frame `overlap`, with
    the `fade` frames before the join crossfaded (linearly: both sides are the same music)."""
    fade = min(fade, overlap)
    joined = np.concatenate([before, after[:, :, overlap:]], axis=-1)
    if fade:
        ramp = ((np.arange(fade) + 0.5) / fade).astype(np.float32)
        start, end = before.shape[-1] - fade, before.shape[-1]
        joined[:, :, start:end] = (1 - ramp) * before[:, :, start:] + ramp * after[:, :, overlap - fade : overlap]
    return joined


def step_callback(progress: ProgressFn | None, should_stop, done: float, share: float, steps: int):
    """A diffusers `callback_on_step_end` that reports each denoising step (this pass being
    `share` of the work, after `done` of it) and stops the loop when `should_stop()` says so."""

    def on_step(pipe, step: int, timestep, tensors: dict) -> dict:
        if should_stop is not None and should_stop():
            pipe._interrupt = True  # diffusers' own flag; raising ends the loop in every pipeline
            raise Cancelled("Stopped: the generation was cancelled.")
        if progress:
            progress(min(1.0, done + share * (step + 1) / steps), "Denoising")
        return {}

    return on_step


class DiffusionDecoder(Decoder):
    """A diffusers audio pipeline as an mmgen decoder: MusicPlan -> latents `[1, C, T]`."""

    token_kind = "latent"
    checkpoint = ""  # key in CHECKPOINTS

    _pipelines: ClassVar[dict] = {}  # checkpoint -> (pipeline, placement): shared by decoder and singer
    _lock = threading.Lock()

    def __init__(self, max_pass_s: float | None = None) -> None:
        self.max_pass_s = max_pass_s  # a shorter longest pass than the model's (tests, memory)

    # ---- loading -------------------------------------------------------------------------------

    def load(self):
        """(pipeline, where it runs): loaded once per process and checkpoint, on first use."""
        status, source = locate(self.checkpoint)
        with self._lock:
            loaded = self._pipelines.get(self.checkpoint)
            if loaded is None or loaded[2] != source:  # (weights moved: tests, a new folder)
                loaded = self._pipelines[self.checkpoint] = (*self._load(status, source), source)
            return loaded[:2]

    def _load(self, status, source):
        if not status.ok:
            raise Unavailable(f"The decoder '{self.checkpoint}' is not available here: {status.reason}")
        device = pick_device()
        pipe = self.pipeline_class().from_pretrained(source, dtype=model_dtype(device))
        pipe.set_progress_bar_config(disable=True)
        return pipe, place(pipe, device)

    def pipeline_class(self):
        raise NotImplementedError

    def use_weights(self, pipe, weights: str) -> str:
        """Play the person's LoRA `weights` (loaded into the pipeline once per name and write), or
        the checkpoint's own weights for "shipped". Returns the weights now playing."""
        folder = personal_weights(self.checkpoint, weights)
        with self._lock:
            loaded = pipe.__dict__.setdefault("_mmgen_adapters", {})  # adapter name -> weights stamp
            if folder is None:
                if loaded:
                    pipe.disable_lora()
                return requested_weights(None)
            adapter, stamp = re.sub(r"\W", "_", weights), weights_stamp(folder)
            if loaded.get(adapter) != stamp:
                if adapter in loaded:  # re-made under the same name: the new file replaces the old
                    pipe.delete_adapters(adapter)
                    del loaded[adapter]
                try:
                    pipe.load_lora_weights(str(folder), weight_name=DIFFUSERS_LORA_FILES[0], adapter_name=adapter)
                except (RuntimeError, ValueError, KeyError, OSError) as error:  # another model's LoRA
                    raise InvalidRequest(
                        f"The weights {weights!r} do not fit {self.checkpoint}: {str(error).splitlines()[0]}"
                    ) from None
                loaded[adapter] = stamp
            pipe.enable_lora()
            pipe.set_adapters([adapter])
            return weights

    # ---- the model's own calls (subclasses) ----------------------------------------------------

    def generate(self, pipe, plan: MusicPlan, duration_s: float, generator, on_step) -> np.ndarray:
        """One pass of `duration_s` -> latents `[1, C, T]`."""
        raise NotImplementedError

    def extend(self, pipe, plan: MusicPlan, kept_audio, duration_s: float, generator, on_step) -> np.ndarray:
        """A window of `duration_s` whose start keeps `kept_audio` `[channels, n]` (at the VAE's rate)
        and whose rest is new -> latents `[1, C, T]` of the whole window: a repaint of all after
        the kept music."""
        rate = pipe.vae.config.sampling_rate
        audio = np.zeros((kept_audio.shape[0], round(duration_s * rate)), np.float32)
        kept = min(kept_audio.shape[1], audio.shape[1])
        audio[:, :kept] = kept_audio[:, :kept]
        return self.repaint(pipe, plan, audio, kept / rate, duration_s, generator, on_step)

    def model_longest_pass_s(self, pipe) -> float:
        """The longest piece the model makes in one pass."""
        raise NotImplementedError

    def prompt_notes(self, plan: MusicPlan) -> dict:
        """What the model was told (for the report)."""
        return {}

    # ---- decoding ------------------------------------------------------------------------------

    def frame_rate_hz(self, pipe) -> float:
        from ...codecs.latent import samples_per_frame

        return pipe.vae.config.sampling_rate / samples_per_frame(pipe.vae)

    def decode(
        self, plan: MusicPlan, seed: int, conditioning: dict | None = None, progress: ProgressFn | None = None
    ) -> LatentTokens:
        return self.decode_many([plan], [seed], conditioning=conditioning, progress=progress)[0]

    def decode_many(
        self,
        plans: list[MusicPlan],
        seeds: list[int],
        sampling=None,
        conditioning: dict | None = None,
        progress: ProgressFn | None = None,
        on_frames=None,
        should_stop: Callable[[], bool] | None = None,
    ) -> list[LatentTokens]:
        """One take per (plan, seed), each drawn from its own seed; takes may differ in tempo and
        key, so each is its own pass. Progress and Cancel reach every denoising step."""
        import torch

        pipe, placed = self.load()
        weights = self.use_weights(pipe, requested_weights(sampling))
        checkpoint = CHECKPOINTS[self.checkpoint]
        tokens = []
        for take, (plan, seed) in enumerate(zip(plans, seeds)):
            windows = self.windows(plan.duration_s, self.longest_pass_s(pipe))
            generator = torch.Generator(device="cpu").manual_seed(seed)
            latents = None
            for index, (start_s, length_s) in enumerate(windows):
                share = 1.0 / (len(plans) * len(windows))  # of the whole decode, for this pass
                on_step = step_callback(
                    progress, should_stop, (take * len(windows) + index) * share, share, checkpoint.steps
                )
                if latents is None:
                    latents = self.generate(pipe, plan, length_s, generator, on_step)
                else:
                    latents = self.continue_latents(pipe, plan, latents, start_s, length_s, generator, on_step)
            tokens.append(
                self.tokens(pipe, placed, latents, plan.duration_s, plan, windows=len(windows), weights=weights)
            )
        return tokens

    def tokens(self, pipe, placed: str, latents: np.ndarray, duration_s: float, plan: MusicPlan, **notes):
        """Latents `[1, C, T]` cut to `duration_s` as LatentTokens, with what made them."""
        checkpoint = CHECKPOINTS[self.checkpoint]
        frames = math.ceil(duration_s * self.frame_rate_hz(pipe))
        return LatentTokens(
            latents=np.ascontiguousarray(latents[:, :, :frames], dtype=np.float32),
            frame_rate_hz=self.frame_rate_hz(pipe),
            codec=self.default_codec,
            end_s=duration_s,
            vae=pipe.vae,
            notes={
                "checkpoint": checkpoint.repo_id,
                "licence": checkpoint.licence.text,
                "steps": checkpoint.steps,
                "device": placed,
                **notes,
                **self.prompt_notes(plan),
            },
        )

    # ---- working on audio: restyle, redo a part, make longer, split ----------------------------
    # Each takes a finished waveform (any rate) and returns latents of the VAE's own audio; the
    # caller (mmgen/edit.py, the pipeline's restyle step) renders and splices them.

    can_extract = False  # whether the model splits a mix into stems (ACE-Step's `extract`)

    def on_audio(
        self, plan: MusicPlan, wave, seed: int, call, progress=None, should_stop=None, duration_s=None, **notes
    ):
        """Run `call(pipe, audio [channels, n] at the VAE's rate, generator, on_step) -> latents`
        on `wave` -> LatentTokens as long as the wave (or `duration_s`)."""
        import soxr
        import torch

        pipe, placed = self.load()
        self.use_weights(pipe, requested_weights(None))  # edits of finished audio play the shipped weights
        rate, channels = pipe.vae.config.sampling_rate, pipe.vae.config.audio_channels
        audio = soxr.resample(wave.samples.T, wave.sample_rate_hz, rate).T.astype(np.float32)
        audio = np.repeat(audio[:1], channels, axis=0) if audio.shape[0] < channels else audio[:channels]
        on_step = step_callback(progress, should_stop, 0.0, 1.0, CHECKPOINTS[self.checkpoint].steps)
        latents = call(pipe, audio, torch.Generator(device="cpu").manual_seed(seed), on_step)
        return self.tokens(pipe, placed, latents, duration_s or wave.duration_s, plan, **notes)

    def restyle(self, plan: MusicPlan, wave, seed: int, keep: float, progress=None, should_stop=None):
        """`wave` (a composed track of `plan`) re-made with the model's sound, following its timing
        `keep` (0..1) closely."""
        return self.on_audio(
            plan,
            wave,
            seed,
            lambda pipe, audio, generator, on_step: self.cover(pipe, plan, audio, keep, generator, on_step),
            progress,
            should_stop,
            restyled_keep=keep,
        )

    def redo(self, plan: MusicPlan, wave, seed: int, start_s: float, end_s: float, progress=None, should_stop=None):
        """`wave` with `start_s`..`end_s` made anew (the rest given as what to keep)."""
        return self.on_audio(
            plan,
            wave,
            seed,
            lambda pipe, audio, generator, on_step: self.repaint(pipe, plan, audio, start_s, end_s, generator, on_step),
            progress,
            should_stop,
            redone_s=[start_s, end_s],
        )

    def lengthen(
        self, plan: MusicPlan, wave, seed: int, duration_s: float, keep_until_s: float, progress=None, should_stop=None
    ):
        """`wave` kept up to `keep_until_s` and continued to `duration_s`. One pass makes the
        window that ends the piece: it starts where the model's longest pass allows, and its
        tokens say so (notes["starts_at_s"])."""
        from ...codecs.base import Waveform

        pipe, _ = self.load()
        start_s = max(0.0, duration_s - self.longest_pass_s(pipe))
        rate = wave.sample_rate_hz
        kept = Waveform(wave.samples[:, round(start_s * rate) : round(keep_until_s * rate)], rate)
        return self.on_audio(
            plan,
            kept,
            seed,
            lambda pipe, audio, generator, on_step: self.extend(
                pipe, plan, audio, duration_s - start_s, generator, on_step
            ),
            progress,
            should_stop,
            duration_s=duration_s - start_s,
            starts_at_s=start_s,
        )

    def split(self, plan: MusicPlan, wave, seed: int, track: str, progress=None, should_stop=None):
        """The `track` ("vocals", "drums", "bass") of `wave`, as the model hears it."""
        if not self.can_extract:
            raise NotImplementedError
        return self.on_audio(
            plan,
            wave,
            seed,
            lambda pipe, audio, generator, on_step: self.extract(pipe, plan, audio, track, generator, on_step),
            progress,
            should_stop,
            extracted=track,
        )

    def cover(self, pipe, plan, audio, keep: float, generator, on_step) -> np.ndarray:
        raise NotImplementedError

    def repaint(self, pipe, plan, audio, start_s: float, end_s: float, generator, on_step) -> np.ndarray:
        raise NotImplementedError

    def extract(self, pipe, plan, audio, track: str, generator, on_step) -> np.ndarray:
        raise NotImplementedError

    def longest_pass_s(self, pipe) -> float:
        longest = self.model_longest_pass_s(pipe)
        return min(longest, self.max_pass_s) if self.max_pass_s else longest

    @staticmethod
    def windows(duration_s: float, longest: float) -> list[tuple[float, float]]:
        """(start_s, length_s) of each pass: one when the model makes the whole piece at once;
        else the first at full length and each later one starting CONTEXT_S before the music so
        far ends (half a pass when passes are short), the last one no longer than what is left."""
        if duration_s <= longest:
            return [(0.0, duration_s)]
        context = min(CONTEXT_S, longest / 2)
        windows, end = [(0.0, longest)], longest
        while end < duration_s - 1e-6:
            start = end - context
            length = min(longest, duration_s - start)
            windows.append((start, length))
            end = start + length
        return windows

    def continue_latents(self, pipe, plan, latents: np.ndarray, start_s: float, length_s: float, generator, on_step):
        """The music so far `[1, C, T]` extended by one window that starts at `start_s`."""
        from ...codecs.latent import decode_in_windows

        rate = self.frame_rate_hz(pipe)
        first = round(start_s * rate)  # windows start on a latent frame, and still end where planned
        overlap = latents.shape[-1] - first
        kept = decode_in_windows(pipe.vae, latents[:, :, first:], rate)  # [channels, n]
        window = self.extend(pipe, plan, kept, length_s + start_s - first / rate, generator, on_step)
        return crossfade_join(latents, window, overlap, round(CROSSFADE_S * rate))
