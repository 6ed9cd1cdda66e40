"""Sung vocals: Bark (transformers `BarkModel`) turns ♪-wrapped lyric lines into EnCodec tokens.

Bark runs three Transformers in turn: text -> semantic tokens -> coarse EnCodec codebooks ->
all 8 codebooks (the fine model). mmgen takes the fine model's output as `AudioTokens` for the
24 kHz EnCodec that Bark carries, so the `encodec` codec decodes them like MusicGen's. One
generation per lyric section (Bark makes up to about 14 s at a time), placed at the section's
start by the pipeline and mixed over the accompaniment with ducking (mmgen/post/mix.py).
Offered only when suno/bark-small or suno/bark can load (MMGEN_BARK_PATH, the Hugging Face cache,
or the hub answering within 2 s).
"""

from __future__ import annotations

import threading

from ..errors import Unavailable
from ..tokens import AudioTokens
from ..weights import locate_checkpoint

CHECKPOINTS = {"bark-small": "suno/bark-small", "bark": "suno/bark"}
LOCAL_OVERRIDE = "MMGEN_BARK_PATH"  # a local folder of bark-small's files
MAX_TEXT_TOKENS = 256


def locate(name: str):
    return locate_checkpoint(CHECKPOINTS[name], LOCAL_OVERRIDE if name == "bark-small" else None)


class BarkSinger:
    checkpoint = "bark-small"
    max_semantic_tokens: int | None = None  # None: Bark's own limit (768, about 15 s)

    def __init__(self) -> None:
        self._lock, self._loaded = threading.Lock(), None

    def load(self):
        """(model, tokenizer, device), loaded once."""
        with self._lock:
            if self._loaded is None:
                import torch
                from transformers import AutoTokenizer, BarkModel

                from ..devices import pick_device

                status, source = locate(self.checkpoint)
                if not status.ok:
                    raise Unavailable(f"Sung vocals ({self.checkpoint}) are not available here: {status.reason}")
                device = pick_device()
                dtype = torch.float16 if device == "cuda" else torch.float32
                model = BarkModel.from_pretrained(source, dtype=dtype).to(device).eval()
                self._loaded = (model, AutoTokenizer.from_pretrained(source), device)
            return self._loaded

    def sing(self, lines: list[str], seed: int, max_semantic_tokens: int | None = None) -> AudioTokens:
        """Lyric lines -> EnCodec tokens `[1, 8, T]` at 75 frames a second (about 14 s at most)."""
        import torch
        from transformers.models.bark.generation_configuration_bark import (
            BarkCoarseGenerationConfig,
            BarkFineGenerationConfig,
            BarkSemanticGenerationConfig,
        )

        model, tokenizer, device = self.load()
        text = " ".join(f"♪ {line} ♪" for line in lines)
        inputs = tokenizer(
            text,
            return_tensors="pt",
            padding="max_length",
            max_length=MAX_TEXT_TOKENS,
            truncation=True,
            add_special_tokens=False,
            return_attention_mask=True,
        ).to(device)
        config = model.generation_config
        semantic = BarkSemanticGenerationConfig(**config.semantic_config)
        coarse = BarkCoarseGenerationConfig(**config.coarse_acoustics_config)
        fine = BarkFineGenerationConfig(**config.fine_acoustics_config)
        limit = max_semantic_tokens or self.max_semantic_tokens
        extra = {} if limit is None else {"max_new_tokens": limit}
        torch.manual_seed(seed)  # Bark samples with the global generator
        with torch.inference_mode():
            semantic_out = model.semantic.generate(
                inputs["input_ids"],
                attention_mask=inputs["attention_mask"],
                semantic_generation_config=semantic,
                **extra,
            )
            coarse_out = model.coarse_acoustics.generate(
                semantic_out,
                semantic_generation_config=semantic,
                coarse_generation_config=coarse,
                codebook_size=config.codebook_size,
            )
            fine_out = model.fine_acoustics.generate(
                coarse_out,
                semantic_generation_config=semantic,
                coarse_generation_config=coarse,
                fine_generation_config=fine,
                codebook_size=config.codebook_size,
            )
        codes = fine_out.cpu().numpy()  # [1, 8, T]
        frame_rate = model.codec_model.config.frame_rate
        return AudioTokens(
            codes=codes,
            codebook_size=config.codebook_size,
            frame_rate_hz=frame_rate,
            codec="encodec",
            end_s=codes.shape[-1] / frame_rate,
            codec_model=model.codec_model,
            notes={"checkpoint": self.checkpoint, "text": text},
        )


class BarkFull(BarkSinger):
    checkpoint = "bark"


def save_debug_checkpoint(folder) -> object:
    """A loadable tiny random Bark (the real classes, vocabularies and token layout; 2 layers of
    width 16) with a word-level tokenizer, for offline tests. Returns the folder."""
    from pathlib import Path

    import torch
    from transformers import BarkConfig, BarkModel, GenerationConfig
    from transformers.models.bark.generation_configuration_bark import BarkGenerationConfig

    from .musicgen.debug import build_tokenizer

    folder = Path(folder)
    tiny = dict(num_layers=2, num_heads=2, hidden_size=16, block_size=1024)
    codec = dict(
        model_type="encodec",
        sampling_rate=24000,
        audio_channels=1,
        num_filters=4,
        hidden_size=16,
        codebook_size=1024,
        codebook_dim=16,
        num_residual_layers=1,
        num_lstm_layers=1,
        upsampling_ratios=[8, 5, 4, 2],
        target_bandwidths=[1.5, 3.0, 6.0, 12.0, 24.0],
        use_causal_conv=True,
        normalize=False,
    )
    config = BarkConfig(
        semantic_config=dict(tiny, input_vocab_size=129_600, output_vocab_size=10_048),
        coarse_acoustics_config=dict(tiny, input_vocab_size=12_096, output_vocab_size=12_096),
        fine_acoustics_config=dict(
            tiny, input_vocab_size=1056, output_vocab_size=1056, n_codes_total=8, n_codes_given=1
        ),
        codec_config=codec,
    )
    torch.manual_seed(0)
    model = BarkModel(config).eval()
    with torch.no_grad():  # EnCodec's codebooks are zero buffers until trained: give them values
        for layer in model.codec_model.quantizer.layers:
            layer.codebook.embed.normal_()
    # Bark's own generation config class does not save under this transformers release; its values
    # (the real token layout) go in a plain GenerationConfig, as a hub checkpoint's JSON loads.
    values = {k: v for k, v in BarkGenerationConfig().to_dict().items() if not k.startswith("_")}
    model.generation_config = GenerationConfig(**values)
    model.save_pretrained(folder)
    build_tokenizer().save_pretrained(folder)
    return folder
