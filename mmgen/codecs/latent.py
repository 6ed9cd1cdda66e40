"""The codecs of latent tokens: a diffusion pipeline's own VAE, latents `[B, C, T]` -> waveform.

ACE-Step 1.5 decodes with `AutoencoderOobleck` (48 kHz stereo, 25 latent frames a second),
Stable Audio 3 with `AutoencoderSAME` (44.1 kHz stereo). Each codec renders only its own VAE's
latents: joining a decoder to the wrong one fails loudly, as it does for EnCodec.

Long latents are decoded in windows with a margin of context on each side that is decoded and
dropped (overlap-save), so memory stays flat and no window edge is heard.
"""

from __future__ import annotations

import numpy as np

from ..errors import GenerationFailed
from ..tokens import LatentTokens
from .base import Codec, Waveform, finished_waveform

WINDOW_S = 30.0  # latents decoded at once
MARGIN_S = 1.0  # context decoded on each side of a window and dropped


def latent_channels(vae) -> int:
    """How many channels the VAE's latents have (the two classes name it differently)."""
    config = vae.config
    return int(getattr(config, "latent_dim", None) or config.decoder_input_channels)


def samples_per_frame(vae) -> int:
    """Audio samples per latent frame (the VAE's total downsampling)."""
    ratio = getattr(vae, "downsampling_ratio", None)
    return int(ratio if ratio else np.prod(vae.config.downsampling_ratios))


class VaeCodec(Codec):
    """Renders latents with the VAE they carry, when it is of `vae_class`."""

    token_kind = "latent"
    vae_class = ""  # diffusers class name of the VAE this codec renders

    def check_compatible(self, tokens) -> None:
        if getattr(tokens, "kind", None) != "latent":
            raise GenerationFailed(f"This codec renders VAE latents, not {getattr(tokens, 'kind', 'these')} tokens.")
        found = type(tokens.vae).__name__
        if found != self.vae_class:
            raise GenerationFailed(f"These latents belong to a {found}; this codec renders {self.vae_class} latents.")
        channels = tokens.latents.shape[1]
        if channels != latent_channels(tokens.vae):
            raise GenerationFailed(
                f"The decoder's latents have {channels} channels; this {found} takes {latent_channels(tokens.vae)}."
            )

    def decode(self, tokens: LatentTokens) -> Waveform:
        """latents `[B, C, T]` -> waveform `[2, round(end_s * 44100)]` of the first batch item."""
        self.check_compatible(tokens)
        audio = decode_in_windows(tokens.vae, tokens.latents[:1], tokens.frame_rate_hz)
        return finished_waveform(audio, int(tokens.vae.config.sampling_rate), tokens.end_s)


def decode_in_windows(vae, latents: np.ndarray, frame_rate_hz: float) -> np.ndarray:
    """latents `[1, C, T]` -> audio `[channels, T * samples_per_frame]`, WINDOW_S at a time."""
    import torch

    parameter = next(vae.parameters())
    window, margin = max(1, round(WINDOW_S * frame_rate_hz)), round(MARGIN_S * frame_rate_hz)
    hop, total = samples_per_frame(vae), latents.shape[-1]
    parts = []
    with torch.inference_mode():
        for start in range(0, total, window):
            first, last = max(0, start - margin), min(total, start + window + margin)
            chunk = torch.from_numpy(np.ascontiguousarray(latents[:, :, first:last]))
            chunk = chunk.to(parameter.device, parameter.dtype)
            audio = vae.decode(chunk).sample[0].float().cpu().numpy()  # [channels, (last - first) * hop]
            keep = min(window, total - start)
            parts.append(audio[:, (start - first) * hop : (start - first + keep) * hop])
    return np.concatenate(parts, axis=-1)


class OobleckCodec(VaeCodec):
    vae_class = "AutoencoderOobleck"


class SameCodec(VaeCodec):
    vae_class = "AutoencoderSAME"
