"""Vocos (charactr/vocos-encodec-24khz): a GAN-trained vocoder that decodes EnCodec 24 kHz tokens,
the ones Bark sings in, in place of EnCodec's own decoder.

The tokens' codebook vectors are summed into features, a ConvNeXt backbone turns them into STFT
frames, and an inverse STFT gives the audio (320 samples a frame at 24 kHz). Offered only when
its weights (MMGEN_VOCOS_PATH, the Hugging Face cache, or the hub answering within 2 s) and the
EnCodec 24 kHz weights it is built on (see encodec_package.py) can both load.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from ..errors import GenerationFailed, Unavailable
from ..registry import Availability
from ..tokens import AudioTokens
from ..weights import locate_checkpoint
from .base import Codec, Waveform, finished_waveform
from .encodec_package import availability as encodec_availability
from .encodec_package import build_model, weights_file

CHECKPOINT = "charactr/vocos-encodec-24khz"
LOCAL_OVERRIDE = "MMGEN_VOCOS_PATH"  # a local folder with its config.yaml and pytorch_model.bin
FILES = ("config.yaml", "pytorch_model.bin")
FEATURES = "vocos.feature_extractors.EncodecFeatures"


def locate():
    """(Availability, where to load Vocos from: a folder or the hub id), EnCodec 24 kHz included."""
    status, source = locate_checkpoint(CHECKPOINT, LOCAL_OVERRIDE, config="config.yaml")
    if status.ok:
        encodec = encodec_availability("encodec-24khz")
        if not encodec.ok:
            reason = encodec.reason.removeprefix("its ")
            return Availability(False, f"it is built on EnCodec 24 kHz, whose {reason}"), None
    return status, source


def availability() -> Availability:
    return locate()[0]


def _encodec_features(encodec, bandwidths: list[float]):
    """vocos's own EncodecFeatures around `encodec` (its __init__ would download EnCodec)."""
    import torch
    from vocos.feature_extractors import EncodecFeatures

    features = EncodecFeatures.__new__(EncodecFeatures)
    torch.nn.Module.__init__(features)
    features.encodec = encodec.requires_grad_(False)
    features.num_q = encodec.quantizer.get_num_quantizers_for_bandwidth(encodec.frame_rate, bandwidth=max(bandwidths))
    codebooks = torch.cat([vq.codebook for vq in encodec.quantizer.vq.layers[: features.num_q]], dim=0)
    features.codebook_weights = torch.nn.Parameter(codebooks, requires_grad=False)
    features.bandwidths = bandwidths
    return features


def build_vocos(config: dict, encodec):
    """A `vocos.Vocos` from its config (as in config.yaml), with random weights, as vocos's
    `from_hparams` builds it but around the given EnCodec 24 kHz."""
    from vocos import Vocos
    from vocos.pretrained import instantiate_class

    features = config["feature_extractor"]
    args = features.get("init_args", {})
    if features["class_path"] != FEATURES or args.get("encodec_model", "encodec_24khz") != "encodec_24khz":
        raise GenerationFailed(f"This Vocos does not decode EnCodec 24 kHz tokens ({features['class_path']}).")
    for part in ("backbone", "head"):
        if not config[part]["class_path"].startswith("vocos."):
            raise GenerationFailed(f"This Vocos config names a {part} outside vocos: {config[part]['class_path']}.")
    return Vocos(
        _encodec_features(encodec, list(args.get("bandwidths", [1.5, 3.0, 6.0, 12.0]))),
        instantiate_class((), config["backbone"]),
        instantiate_class((), config["head"]),
    )


def load_vocos(source: Path | str):
    """Vocos from a checkpoint folder or hub id (config.yaml, pytorch_model.bin), as vocos's
    `from_pretrained` loads it: its weights, and EnCodec 24 kHz's own for the EnCodec inside."""
    import torch
    import yaml

    if isinstance(source, Path):
        config_path, weights_path = (source / name for name in FILES)
    else:
        from huggingface_hub import hf_hub_download

        config_path, weights_path = (hf_hub_download(source, name) for name in FILES)
    file = weights_file("encodec-24khz")
    encodec = build_model("encodec-24khz", weights=file, download=file is None)
    model = build_vocos(yaml.safe_load(Path(config_path).read_text(encoding="utf-8")), encodec)
    state = torch.load(weights_path, map_location="cpu", weights_only=True)
    state.update({f"feature_extractor.encodec.{k}": v for k, v in encodec.state_dict().items()})
    model.load_state_dict(state)
    return model.eval()


class VocosCodec(Codec):
    """EnCodec 24 kHz tokens `[B, K, T]` (K = 2, 4, 8 or 16) -> 24 kHz audio through Vocos."""

    token_kind = "audio"
    name = "vocos"

    def __init__(self, model=None) -> None:
        self._model, self._lock = model, threading.Lock()

    def model(self):
        with self._lock:
            if self._model is None:
                from ..devices import pick_device

                status, source = locate()
                if not status.ok:
                    raise Unavailable(f"The codec '{self.name}' is not available here: {status.reason}")
                self._model = load_vocos(source).to(pick_device())
            return self._model

    def bandwidth_id(self, tokens, model) -> int:
        """Which of Vocos's bandwidths the tokens are at; GenerationFailed when they do not fit."""
        encodec = model.feature_extractor.encodec
        if getattr(tokens, "kind", None) != "audio":
            raise GenerationFailed("Vocos decodes EnCodec 24 kHz audio tokens, not a score.")
        counts = [
            encodec.quantizer.get_num_quantizers_for_bandwidth(encodec.frame_rate, b)
            for b in model.feature_extractor.bandwidths
        ]
        K = tokens.codes.shape[1]
        if (
            K not in counts
            or tokens.channels != 1
            or tokens.codebook_size != encodec.quantizer.bins
            or tokens.frame_rate_hz != encodec.frame_rate
        ):
            raise GenerationFailed(
                f"The tokens ({K} codebooks of {tokens.codebook_size} at {tokens.frame_rate_hz:g} frames/s) do not fit "
                f"Vocos, which decodes EnCodec 24 kHz tokens: {', '.join(map(str, counts))} codebooks of "
                f"{encodec.quantizer.bins} at {encodec.frame_rate} frames/s."
            )
        return counts.index(K)

    def decode_24khz(self, tokens: AudioTokens) -> np.ndarray:
        """codes `[B, K, T]` -> audio `[B, T * 320]` at 24 kHz."""
        import torch

        model = self.model()
        bandwidth = self.bandwidth_id(tokens, model)
        device = next(model.parameters()).device
        codes = torch.as_tensor(tokens.codes, dtype=torch.long, device=device).transpose(0, 1)  # [K, B, T]
        with torch.inference_mode():
            audio = model.decode(model.codes_to_features(codes), bandwidth_id=torch.tensor([bandwidth], device=device))
        return audio.float().cpu().numpy()

    def decode(self, tokens: AudioTokens) -> Waveform:
        """tokens -> waveform `[2, round(end_s * 44100)]` of the first batch item."""
        model = self.model()
        rate = model.feature_extractor.encodec.sample_rate
        return finished_waveform(self.decode_24khz(tokens)[:1], rate, tokens.end_s)


def save_debug_checkpoint(folder, encodec=None) -> Path:
    """A loadable tiny random Vocos of the real classes (one ConvNeXt block of width 16, the real
    1280-point STFT with a 320-sample hop) for offline tests: config.yaml and pytorch_model.bin,
    without the EnCodec inside (loaded from EnCodec 24 kHz's own weights, as upstream). `encodec`:
    the EnCodec 24 kHz to build on (random when None). Returns the folder."""
    import torch
    import yaml

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    config = {
        "feature_extractor": {
            "class_path": FEATURES,
            "init_args": {"encodec_model": "encodec_24khz", "bandwidths": [1.5, 3.0, 6.0, 12.0]},
        },
        "backbone": {
            "class_path": "vocos.models.VocosBackbone",
            "init_args": {
                "input_channels": 128,
                "dim": 16,
                "intermediate_dim": 32,
                "num_layers": 1,
                "adanorm_num_embeddings": 4,
            },
        },
        "head": {
            "class_path": "vocos.heads.ISTFTHead",
            "init_args": {"dim": 16, "n_fft": 1280, "hop_length": 320, "padding": "same"},
        },
    }
    (folder / "config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    torch.manual_seed(0)
    model = build_vocos(config, encodec if encodec is not None else build_model("encodec-24khz"))
    with torch.no_grad():  # an untrained EnCodec's codebooks are zeros: give them values
        model.feature_extractor.codebook_weights.normal_()
    state = {k: v for k, v in model.state_dict().items() if not k.startswith("feature_extractor.encodec.")}
    torch.save(state, folder / "pytorch_model.bin")
    return folder
