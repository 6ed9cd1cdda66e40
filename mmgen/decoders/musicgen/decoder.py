"""The `musicgen` decoders: MusicPlan -> text condition -> EnCodec tokens of any length.

Generation runs in windows of at most 30 s (MusicGen's training length). Each later window is
primed with the last 10 s of codes and continues them, so the piece is one continuous token
stream; the last window is conditioned as an outro. The model loads once per process, lazily.

The melody checkpoints (MusicGen-Melody) also take a melody clip: its chromagram, looped over the
piece, conditions each window on the part of the melody that window covers.

A request may name personal weights: a LoRA adapter of the checkpoint (mmgen/training/lora.py),
merged into a copy of the model when first asked for, so decoding runs at the same speed.
"""

from __future__ import annotations

import math
import os
import threading

import numpy as np

from ...checkpoints import SHIPPED, personal_weights, requested_weights, weights_stamp
from ...devices import model_dtype, pick_device
from ...errors import Cancelled, Unavailable
from ...plan import MusicPlan
from ...tokens import AudioTokens
from ..base import Decoder, FramesFn, ProgressFn
from .captions import caption_for
from .checkpoints import locate
from .loop import DecodeLoop, SamplingConfig, encode_text, melody_prefix

STREAM_CHUNK_S = 1.0  # how much new music each streamed piece carries
KEPT_MODELS = 2  # loaded variants kept (the shipped weights and one LoRA, say); the least recently used goes


class MusicgenDecoder(Decoder):
    token_kind = "audio"
    default_codec = "encodec"
    checkpoint = "musicgen-small"
    follows_melody = False  # True for the MusicGen-Melody checkpoints

    def __init__(
        self, max_window_s: float = 30.0, context_s: float = 10.0, sampling: SamplingConfig | None = None
    ) -> None:
        self.max_window_s, self.context_s = max_window_s, context_s
        self.sampling = sampling or SamplingConfig()
        self._lock = threading.Lock()
        self._loaded: dict = {}  # (weights, when written) -> what load() returns, oldest first

    # ---- loading -------------------------------------------------------------------------------

    def load(self, weights: str = SHIPPED):
        """(model used for decoding, tokenizer, full-precision model, device, chroma feature
        extractor or None) with the weights named ("shipped", or a LoRA of yours): loaded once."""
        adapter = personal_weights(self.checkpoint, weights)
        key = (weights, weights_stamp(adapter))
        with self._lock:
            if key not in self._loaded:
                while len(self._loaded) >= KEPT_MODELS:
                    self._loaded.pop(next(iter(self._loaded)))
                self._loaded[key] = self._load(adapter)
            self._loaded[key] = self._loaded.pop(key)  # now the most recently used
            return self._loaded[key]

    def _load(self, adapter=None):
        import transformers

        status, source = locate(self.checkpoint)
        if not status.ok:
            raise Unavailable(f"The decoder '{self.checkpoint}' is not available here: {status.reason}")
        device = pick_device()
        dtype = model_dtype(device)
        tokenizer = transformers.AutoTokenizer.from_pretrained(source)
        model_class = (
            transformers.MusicgenMelodyForConditionalGeneration
            if self.follows_melody
            else transformers.MusicgenForConditionalGeneration
        )
        model = model_class.from_pretrained(source, dtype=dtype)
        if adapter is not None:
            from ...training.lora import merge_adapter

            merge_adapter(model, adapter)
        model = model.to(device).eval()
        features = transformers.AutoFeatureExtractor.from_pretrained(source) if self.follows_melody else None
        fast = model
        if device == "cpu" and os.environ.get("MMGEN_CPU_INT8", "1") == "1":
            from .quantize import quantize_for_cpu

            fast = quantize_for_cpu(model)  # see benchmarks/transformer_decode.py
        return fast, tokenizer, model, device, features

    # ---- decoding ------------------------------------------------------------------------------

    def decode(
        self, plan: MusicPlan, seed: int, conditioning: dict | None = None, progress: ProgressFn | None = None
    ) -> AudioTokens:
        return self.decode_many([plan], [seed], conditioning=conditioning, progress=progress)[0]

    @staticmethod
    def encode_clip(full_model, clip, device):
        """An AudioClip -> EnCodec codes `[1, K, P]` at the model's rate (mono clips feed both
        channels of stereo models, as transformers does)."""
        import soxr
        import torch

        rate = full_model.config.audio_encoder.sampling_rate
        samples = soxr.resample(clip.samples, clip.sample_rate_hz, rate).astype(np.float32)
        values = torch.from_numpy(samples)[None, None].to(device, next(full_model.audio_encoder.parameters()).dtype)
        with torch.inference_mode():
            codes = full_model.audio_encoder.encode(values).audio_codes[0]  # [1, K, P]
        if full_model.decoder.config.audio_channels == 2:
            codes = codes.repeat_interleave(2, dim=1)
        return codes

    @staticmethod
    def melody_chroma(features, clip, frames_per_s: float, total_s: float):
        """An AudioClip -> its chromagram `[1, C, 12]` looped to cover `total_s` (plus one window),
        at the feature extractor's frame rate (32 kHz / 4096 hop = 7.8 frames a second)."""
        import soxr

        samples = soxr.resample(clip.samples, clip.sample_rate_hz, features.sampling_rate).astype(np.float32)
        chroma = features(samples, sampling_rate=features.sampling_rate, return_tensors="pt").input_features
        needed = math.ceil((total_s + 30.0) * frames_per_s)
        return chroma.repeat(1, -(-needed // chroma.shape[1]), 1)[:, :needed]

    def _condition(self, loop: DecodeLoop, model, text, melody, window_start_s: float) -> None:
        """Set the window's condition: text by cross-attention, or (melody checkpoints) a prefix of
        the melody's chroma from this window's start, then text."""
        if not self.follows_melody:
            loop.set_condition(encode_text(model, text["input_ids"], text["attention_mask"]), text["attention_mask"])
            return
        chroma = None
        if melody is not None:
            first = round(window_start_s * melody["frames_per_s"])
            chroma = melody["chroma"][:, first:].repeat(loop.B, 1, 1)
        loop.set_prefix(*melody_prefix(model, text["input_ids"], text["attention_mask"], chroma))

    def sampling_for(self, request) -> SamplingConfig:
        if request is None:
            return self.sampling
        return SamplingConfig(
            top_k=request.top_k,
            top_p=request.top_p,
            temperature=request.temperature,
            guidance_scale=request.guidance_scale,
        )

    def decode_many(
        self,
        plans: list[MusicPlan],
        seeds: list[int],
        sampling=None,
        conditioning: dict | None = None,
        progress: ProgressFn | None = None,
        on_frames: FramesFn | None = None,
        should_stop=None,
    ) -> list[AudioTokens]:
        """All takes in one batch; row i draws its randomness from its own seed. With
        conditioning {"continue": AudioClip} every take starts with the clip and continues it;
        with {"melody": AudioClip} (melody checkpoints) every take follows the clip's melody.

        `on_frames(codes, codec_model, channels)` (optional) receives the aligned codes
        `[B, K, n]` of each run of newly finished frames, in order, each frame once, about every
        STREAM_CHUNK_S seconds of music: enough to play the music while the rest is generated."""
        import torch

        model, tokenizer, full_model, device, features = self.load(requested_weights(sampling))
        config = self.sampling_for(sampling)
        frame_rate = full_model.config.audio_encoder.frame_rate
        K = full_model.decoder.config.num_codebooks
        channels = full_model.decoder.config.audio_channels
        total = math.ceil(plans[0].duration_s * frame_rate) + 1
        window = min(total, int(self.max_window_s * frame_rate))
        context = min(int(self.context_s * frame_rate), window - 1)
        captions = [caption_for(plan) for plan in plans]
        outros = [caption + " It ends with a gentle outro that fades out." for caption in captions]
        generator_device = device if device in ("cpu", "cuda") else "cpu"
        generators = [torch.Generator(device=generator_device).manual_seed(seed) for seed in seeds]

        clip = (conditioning or {}).get("continue")
        clip_codes = None if clip is None else self.encode_clip(full_model, clip, device).repeat(len(plans), 1, 1)
        melody = (conditioning or {}).get("melody")
        if melody is not None:
            frames_per_s = features.sampling_rate / features.hop_length
            melody = {
                "chroma": self.melody_chroma(features, melody, frames_per_s, plans[0].duration_s),
                "frames_per_s": frames_per_s,
            }
        codes = None  # [B, K, frames so far]
        sent = 0  # frames already given to on_frames

        def send(loop: DecodeLoop, grid, base: int, upto: int) -> None:
            """Pass frames sent..upto (whole piece) of this window (first frame at `base`) on."""
            nonlocal sent
            upto = min(upto, total)
            if on_frames is not None and upto > sent:
                on_frames(loop.undelay(grid, sent - base, upto - base).cpu(), full_model.audio_encoder, channels)
                sent = upto

        chunk = int(STREAM_CHUNK_S * frame_rate)
        while codes is None or codes.shape[-1] < total:
            done = 0 if codes is None else codes.shape[-1]
            prompt = clip_codes if codes is None else codes[:, :, -context:]
            primed = 0 if prompt is None else prompt.shape[-1]
            # Positions in this window: the primed codes plus new ones, never past the end. A long
            # clip may stretch the first window so it still adds window - context new frames.
            size = window if prompt is None else min(primed + total - done, max(window, primed + window - context))
            last = done + size - primed >= total
            text = tokenizer(outros if last else captions, return_tensors="pt", padding=True).to(device)
            loop = DecodeLoop(
                model, batch=len(plans), max_positions=size + K // channels, guidance=config.guidance_scale > 1
            )
            self._condition(loop, model, text, melody, (done - primed) / frame_rate)
            base = done - primed  # the window's first frame in the piece

            def on_positions(t, grid, loop=loop, base=base):
                if should_stop is not None and should_stop():
                    raise Cancelled("Stopped: the generation was cancelled.")
                if on_frames is not None and base + loop.complete_frames(t) - sent >= chunk:
                    send(loop, grid, base, base + loop.complete_frames(t))

            grid = loop.generate(
                config,
                prompt=prompt,
                generator=generators,
                on_positions=on_positions if on_frames or should_stop else None,
            )
            send(loop, grid, base, base + loop.frames)
            new = loop.undelay(grid)
            codes = new if codes is None else torch.cat([codes, new[:, :, primed:]], dim=-1)
            if progress:
                progress(min(1.0, codes.shape[-1] / total), "Generating audio tokens")
        codes = codes[:, :, :total].cpu().numpy().astype(np.int64)
        return [
            AudioTokens(
                codes=codes[i : i + 1],
                codebook_size=full_model.decoder.config.vocab_size,
                frame_rate_hz=frame_rate,
                codec=self.default_codec,
                end_s=plan.duration_s,
                channels=channels,
                codec_model=full_model.audio_encoder,
                notes={
                    "caption": captions[i],
                    "checkpoint": self.checkpoint,
                    "weights": requested_weights(sampling),
                    "device": device,
                    "sampling": config.__dict__,
                    "frames": int(codes.shape[-1]),
                },
            )
            for i, plan in enumerate(plans)
        ]


class MusicgenMedium(MusicgenDecoder):
    checkpoint = "musicgen-medium"


class MusicgenLarge(MusicgenDecoder):
    checkpoint = "musicgen-large"


class MusicgenStereo(MusicgenDecoder):
    checkpoint = "musicgen-stereo-small"


class MusicgenMelody(MusicgenDecoder):
    checkpoint = "musicgen-melody"
    follows_melody = True


class MusicgenStereoMelody(MusicgenDecoder):
    checkpoint = "musicgen-stereo-melody"
    follows_melody = True
