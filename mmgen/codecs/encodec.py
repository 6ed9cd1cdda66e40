"""The codec of audio tokens: EnCodec (transformers `EncodecModel`), codes -> waveform.

Long code sequences are decoded in windows whose audio overlaps and is crossfaded, so memory
stays flat however long the piece is and no window edge is heard. The result is resampled to
44.1 kHz stereo and cut to the exact length the tokens ask for.
"""

from __future__ import annotations

import numpy as np

from ..errors import GenerationFailed
from ..tokens import AudioTokens
from .base import OUTPUT_RATE_HZ, Codec, Waveform, finished_waveform

WINDOW_FRAMES = 1500  # 30 s at 50 frames/s
OVERLAP_FRAMES = 25  # 0.5 s decoded twice and crossfaded


def check_compatible(tokens: AudioTokens, codec_model) -> None:
    """The decoder's codebooks must be the codec's: the same size, and no more of them than the
    codec has (fewer is a lower bandwidth, as Bark's 8 of 24 kHz EnCodec's 32). Fail loudly otherwise."""
    config = codec_model.config
    codebooks = tokens.codes.shape[1] // max(1, tokens.channels)
    if codebooks > config.num_quantizers or tokens.codebook_size != config.codebook_size:
        raise GenerationFailed(
            f"The decoder's tokens ({codebooks} codebooks of {tokens.codebook_size}) do not fit this EnCodec "
            f"({config.num_quantizers} codebooks of {config.codebook_size})."
        )


class EncodecCodec(Codec):
    token_kind = "audio"

    def decode(self, tokens: AudioTokens) -> Waveform:
        """codes `[B, K*C, T]` -> waveform `[2, round(end_s * 44100)]` of the first batch item."""
        import torch

        model = tokens.codec_model
        check_compatible(tokens, model)
        audio = decode_in_windows(model, torch.as_tensor(tokens.codes[:1]), channels=tokens.channels)  # [C, N]
        return finished_waveform(audio, model.config.sampling_rate, tokens.end_s)


def decode_in_windows(
    model, codes, channels: int = 1, window_frames: int = WINDOW_FRAMES, overlap_frames: int = OVERLAP_FRAMES
) -> np.ndarray:
    """codes `[1, K * C, T]` -> audio `[C, T * hop]`, window by window with crossfades."""
    stream = EncodecStream(model, channels=channels, overlap_frames=overlap_frames)
    parts = [
        stream.push(codes[:, :, start : start + window_frames]) for start in range(0, codes.shape[-1], window_frames)
    ]
    return np.concatenate([*parts, stream.finish()], axis=-1)


class EncodecStream:
    """Decode codes as they arrive, for playback while the rest is generated.

    Each push decodes only the new frames plus `overlap_frames` of left context. The audio of the
    last `overlap_frames` frames is held back, and crossfaded with their second decoding (which
    has right context) on the next push, so every frame's audio comes out exactly once and no join
    is heard. Memory is flat however long the stream.
    """

    def __init__(
        self, model, channels: int = 1, overlap_frames: int = OVERLAP_FRAMES, output_rate_hz: int | None = None
    ) -> None:
        import soxr

        self.model, self.channels, self.overlap = model, channels, overlap_frames
        self.hop = int(np.prod(model.config.upsampling_ratios))
        self.context = None  # codes `[1, K * C, o]` whose audio is held back
        self.tail = None  # their audio `[C, o * hop]`
        self.resampler = (
            None
            if output_rate_hz is None
            else soxr.ResampleStream(model.config.sampling_rate, output_rate_hz, channels, dtype="float32")
        )

    def _decode(self, codes) -> np.ndarray:
        """codes `[1, K * C, T]` -> audio `[C, T * hop]` (stereo codebooks interleave L/R)."""
        import torch

        device = next(self.model.parameters()).device
        with torch.inference_mode():
            waves = [
                self.model.decode(codes[:, c :: self.channels].to(device)[None], [None]).audio_values[0, 0]
                for c in range(self.channels)
            ]
        return torch.stack(waves).float().cpu().numpy()[:, : codes.shape[-1] * self.hop]

    def _out(self, audio: np.ndarray, last: bool = False) -> np.ndarray:
        if self.resampler is None:
            return audio
        return self.resampler.resample_chunk(np.ascontiguousarray(audio.T), last=last).T

    def push(self, codes) -> np.ndarray:
        """New codes `[1, K * C, n]` -> the audio now final `[C, m]` (at the output rate if set)."""
        import torch

        codes = torch.as_tensor(codes)
        lead = 0 if self.context is None else self.context.shape[-1]
        window = codes if lead == 0 else torch.cat([self.context, codes], dim=-1)
        wave = self._decode(window)
        if lead:
            ramp = np.linspace(0.0, 1.0, lead * self.hop, dtype=np.float32)
            wave[:, : lead * self.hop] = self.tail * (1 - ramp) + wave[:, : lead * self.hop] * ramp
        keep = min(self.overlap, window.shape[-1])
        self.context, self.tail = window[:, :, window.shape[-1] - keep :], wave[:, wave.shape[-1] - keep * self.hop :]
        return self._out(wave[:, : wave.shape[-1] - keep * self.hop])

    def finish(self) -> np.ndarray:
        """The held-back audio of the last frames."""
        tail = self.tail if self.tail is not None else np.zeros((self.channels, 0), np.float32)
        self.context = self.tail = None
        return self._out(tail, last=True)


class PreviewStream:
    """A streaming decoder's frames of take 1 -> 44.1 kHz stereo audio handed to `listener` as
    it is known: `on_frames` is the decoder's callback, `finish` sends the held-back end.
    The preview is not mastered (the finished track is)."""

    def __init__(self, listener) -> None:
        self.listener, self.stream = listener, None

    def on_frames(self, codes, codec_model, channels: int) -> None:
        if self.stream is None:
            self.stream = EncodecStream(codec_model, channels=channels, output_rate_hz=OUTPUT_RATE_HZ)
        self._send(self.stream.push(codes[:1]))

    def finish(self) -> None:
        if self.stream is not None:
            self._send(self.stream.finish())

    def _send(self, audio: np.ndarray) -> None:
        if audio.shape[-1]:
            self.listener(np.repeat(audio, 2, axis=0) if audio.shape[0] == 1 else audio)
