"""The `encodec` package's own codecs: EnCodec 24 kHz (mono, causal; the tokens Bark emits) and
48 kHz (stereo, 1 s segments each with a loudness scale), tokens <-> waveform.

Weights come from the package's download site into torch's hub cache; a codec is offered only when
its checkpoint is on this machine (or in MMGEN_ENCODEC_DIR), or the site answers within 2 s.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import GenerationFailed, Unavailable
from ..registry import Availability
from ..tokens import AudioTokens
from ..weights import offline
from .base import Codec, Waveform, finished_waveform

WEIGHTS_URL = "https://dl.fbaipublicfiles.com/encodec/v0/"
PROBE_TIMEOUT_S = 2.0


@dataclass(frozen=True)
class PackageModel:
    package_name: str  # the name the package and the .ecdc header use
    checkpoint: str  # the file name of its weights
    factory: str  # EncodecModel's builder


MODELS = {
    "encodec-24khz": PackageModel("encodec_24khz", "encodec_24khz-d7cc33bc.th", "encodec_model_24khz"),
    "encodec-48khz": PackageModel("encodec_48khz", "encodec_48khz-7e698e3e.th", "encodec_model_48khz"),
}
_site_checked: tuple[float, bool] | None = None


def weights_file(name: str) -> Path | None:
    """The checkpoint file on this machine: in MMGEN_ENCODEC_DIR, else torch's hub cache."""
    import torch

    file = MODELS[name].checkpoint
    folders = [Path(os.environ["MMGEN_ENCODEC_DIR"])] if os.environ.get("MMGEN_ENCODEC_DIR") else []
    folders.append(Path(torch.hub.get_dir()) / "checkpoints")
    return next((folder / file for folder in folders if (folder / file).is_file()), None)


def _site_answers() -> bool:
    """Whether the weights site answers within PROBE_TIMEOUT_S (asked at most once a minute)."""
    import urllib.request

    global _site_checked
    now = time.monotonic()
    if _site_checked is None or now - _site_checked[0] > 60:
        try:
            urllib.request.urlopen(urllib.request.Request(WEIGHTS_URL, method="HEAD"), timeout=PROBE_TIMEOUT_S)
            answered = True
        except Exception as error:  # an HTTP error status still means the site is reachable
            answered = hasattr(error, "code")
        _site_checked = (now, answered)
    return _site_checked[1]


def availability(name: str) -> Availability:
    if weights_file(name) is not None:
        return Availability(True)
    if offline():
        return Availability(
            False, f"its weights ({MODELS[name].checkpoint}) are not on this machine and HF_HUB_OFFLINE is set"
        )
    if _site_answers():
        return Availability(True, "weights download on first use")
    return Availability(
        False, f"its weights ({MODELS[name].checkpoint}) are not on this machine and {WEIGHTS_URL} cannot be reached"
    )


def build_model(name: str, weights: Path | None = None, download: bool = False):
    """An `encodec.EncodecModel` named as the package names it (so .ecdc headers are right), with
    the weights of `weights`, downloaded ones when `download`, or else random ones (for tests)."""
    from encodec import EncodecModel

    spec = MODELS[name]
    model = getattr(EncodecModel, spec.factory)(pretrained=download)
    model.name = spec.package_name
    if weights is not None:
        import torch

        model.load_state_dict(torch.load(weights, map_location="cpu"))
    return model.eval()


def segment_frames(model, audio_length: int) -> list[int]:
    """Frames of each segment the model cuts `audio_length` samples into (one if unsegmented)."""
    length, stride = model.segment_length or audio_length, model.segment_stride or audio_length
    return [
        int(np.ceil(min(audio_length - offset, length) / model.sample_rate * model.frame_rate))
        for offset in range(0, audio_length, stride)
    ]


class PackageEncodecCodec(Codec):
    """Tokens `[1, K, T]` (segments' frames one after another) <-> audio, for one package model."""

    token_kind = "audio"
    name = "encodec-24khz"

    def __init__(self, model=None) -> None:
        self._model, self._lock = model, threading.Lock()

    def model(self):
        with self._lock:
            if self._model is None:
                status = availability(self.name)
                if not status.ok:
                    raise Unavailable(f"The codec '{self.name}' is not available here: {status.reason}")
                file = weights_file(self.name)
                self._model = build_model(self.name, weights=file, download=file is None)
            return self._model

    def encode(self, wave: Waveform, bandwidth_kbps: float = 6.0) -> AudioTokens:
        """Waveform -> tokens at a target bandwidth (24 kHz: 1.5-24 kbps = 2-32 codebooks)."""
        import soxr
        import torch

        model = self.model()
        if bandwidth_kbps not in model.target_bandwidths:
            raise GenerationFailed(f"{self.name} works at {model.target_bandwidths} kbps, not {bandwidth_kbps}.")
        model.set_target_bandwidth(bandwidth_kbps)
        audio = soxr.resample(wave.samples.T, wave.sample_rate_hz, model.sample_rate).T.astype(np.float32)
        audio = audio.mean(0, keepdims=True) if model.channels == 1 else np.resize(audio, (2, audio.shape[1]))
        with torch.inference_mode():
            frames = model.encode(torch.from_numpy(audio)[None])
        codes = torch.cat([codes for codes, _ in frames], dim=-1).numpy().astype(np.int64)
        scales = None if frames[0][1] is None else [float(scale) for _, scale in frames]
        return AudioTokens(
            codes=codes,
            codebook_size=model.quantizer.bins,
            frame_rate_hz=model.frame_rate,
            codec=self.name,
            end_s=audio.shape[1] / model.sample_rate,
            codec_model=model,
            notes={"audio_length": int(audio.shape[1]), "scales": scales, "bandwidth_kbps": bandwidth_kbps},
        )

    def check_compatible(self, tokens: AudioTokens, model) -> None:
        K = tokens.codes.shape[1]
        if tokens.codebook_size != model.quantizer.bins or K > model.quantizer.n_q:
            raise GenerationFailed(
                f"The tokens ({K} codebooks of {tokens.codebook_size}) do not fit {self.name} "
                f"(up to {model.quantizer.n_q} codebooks of {model.quantizer.bins})."
            )

    def decode(self, tokens: AudioTokens) -> Waveform:
        """tokens -> waveform `[2, round(end_s * 44100)]`."""
        import torch

        model = tokens.codec_model or self.model()
        self.check_compatible(tokens, model)
        audio_length = tokens.notes.get("audio_length") or int(round(tokens.end_s * model.sample_rate))
        sizes = segment_frames(model, audio_length)
        if sum(sizes) != tokens.codes.shape[-1]:
            raise GenerationFailed(
                f"{self.name} expects {sum(sizes)} frames for {audio_length} samples, got {tokens.codes.shape[-1]}."
            )
        scales = tokens.notes.get("scales") or [None] * len(sizes)
        chunks = torch.split(torch.as_tensor(tokens.codes[:1]), sizes, dim=-1)
        frames = [(c, None if s is None else torch.tensor([[s]])) for c, s in zip(chunks, scales)]
        with torch.inference_mode():
            audio = model.decode(frames)[0, :, :audio_length].float().numpy()  # [C, N]
        return finished_waveform(audio, model.sample_rate, tokens.end_s)


class Encodec48Codec(PackageEncodecCodec):
    name = "encodec-48khz"
