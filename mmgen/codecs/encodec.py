"""The codec of audio tokens: EnCodec (transformers `EncodecModel`), codes -> waveform.

Long code sequences are decoded in windows whose audio overlaps and is crossfaded, so memory
stays flat however long the piece is and no window edge is heard. The result is resampled to
44.1 kHz stereo and cut to the exact length the tokens ask for.
"""

from __future__ import annotations

import numpy as np

from ..errors import GenerationFailed
from ..tokens import AudioTokens
from .base import Codec, Waveform, finished_waveform
WINDOW_FRAMES = 1500  # 30 s at 50 frames/s
OVERLAP_FRAMES = 25  # 0.5 s decoded twice and crossfaded


def check_compatible(tokens: AudioTokens, codec_model) -> None:
    """The decoder's codebooks must be the codec's: same count and size. Fail loudly otherwise."""
    config = codec_model.config
    codebooks = tokens.codes.shape[1] // max(1, tokens.channels)
    if codebooks != config.num_quantizers or tokens.codebook_size != config.codebook_size:
        raise GenerationFailed(
            f"The decoder's tokens ({codebooks} codebooks of {tokens.codebook_size}) do not fit this EnCodec "
            f"({config.num_quantizers} codebooks of {config.codebook_size}).")


class EncodecCodec(Codec):
    token_kind = "audio"

    def decode(self, tokens: AudioTokens) -> Waveform:
        """codes `[B, K*C, T]` -> waveform `[2, round(end_s * 44100)]` of the first batch item."""
        import torch

        model = tokens.codec_model
        check_compatible(tokens, model)
        codes = torch.as_tensor(tokens.codes[:1])
        channels = [codes[:, c::tokens.channels] for c in range(tokens.channels)]  # stereo interleaves
        audio = np.stack([self._decode_windows(model, ch) for ch in channels])  # [C, N]
        return finished_waveform(audio, model.config.sampling_rate, tokens.end_s)

    @staticmethod
    def _decode_windows(model, codes, window_frames: int = WINDOW_FRAMES,
                        overlap_frames: int = OVERLAP_FRAMES) -> np.ndarray:
        """codes `[1, K, T]` -> mono audio `[T * hop]`, window by window with crossfades."""
        import torch

        hop = int(np.prod(model.config.upsampling_ratios))
        total = codes.shape[-1]
        out = np.zeros(total * hop, dtype=np.float32)
        start = 0
        with torch.inference_mode():
            while start < total:
                lead = min(overlap_frames, start)  # frames decoded again to crossfade with the last window
                end = min(total, start + window_frames)
                window = codes[:, :, start - lead:end].to(next(model.parameters()).device)
                wave = model.decode(window[None], [None]).audio_values[0, 0].float().cpu().numpy()
                wave = wave[: (end - start + lead) * hop]
                if lead:
                    ramp = np.linspace(0.0, 1.0, lead * hop, dtype=np.float32)
                    a = (start - lead) * hop
                    out[a:a + lead * hop] = out[a:a + lead * hop] * (1 - ramp) + wave[:lead * hop] * ramp
                out[start * hop:end * hop] = wave[lead * hop:]
                start = end
        return out
