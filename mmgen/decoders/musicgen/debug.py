"""Tiny random-weight MusicGen checkpoints for offline tests (as transformers' own tests build
them, and as audiocraft's `get_pretrained('debug')`): the real classes and loading code, with
configs small enough to run in milliseconds. `musicgen_small_config()` gives the production size
(from the real config) for speed work with random weights.
"""

from __future__ import annotations

import json
from pathlib import Path

REFERENCE = Path(__file__).resolve().parents[3] / "benchmarks" / "reference"

TINY_TEXT = dict(
    model_type="t5",
    vocab_size=99,
    d_model=32,
    d_kv=8,
    d_ff=37,
    num_layers=2,
    num_heads=4,
    relative_attention_num_buckets=8,
    decoder_start_token_id=0,
    pad_token_id=0,
    eos_token_id=1,
)
TINY_CODEC = dict(
    model_type="encodec",
    sampling_rate=32000,
    audio_channels=1,
    num_filters=4,
    hidden_size=16,
    codebook_size=64,
    codebook_dim=16,
    num_residual_layers=1,
    num_lstm_layers=1,
    upsampling_ratios=[8, 5, 4, 4],
    target_bandwidths=[1.2],
    normalize=False,
    use_causal_conv=False,
)
TINY_DECODER = dict(
    model_type="musicgen_decoder",
    vocab_size=64,
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=4,
    ffn_dim=64,
    num_codebooks=4,
    max_position_embeddings=4096,
    pad_token_id=64,
    bos_token_id=64,
    decoder_start_token_id=64,
)


def tiny_config(stereo: bool = False):
    """Tiny MusicGen: 2-layer T5 and decoder, 4 codebooks of 64 (8 interleaved L/R when stereo)."""
    from transformers import MusicgenConfig

    decoder = dict(TINY_DECODER, num_codebooks=8, audio_channels=2) if stereo else dict(TINY_DECODER)
    # Copies: some transformers releases pop keys from the dicts they are given.
    return MusicgenConfig(text_encoder=dict(TINY_TEXT), audio_encoder=dict(TINY_CODEC), decoder=decoder)


def tiny_melody_config():
    """Tiny MusicGen-Melody: the same tiny parts, the decoder prefix-conditioned on chroma + text."""
    from transformers import MusicgenMelodyConfig

    decoder = dict(TINY_DECODER, model_type="musicgen_melody_decoder")
    return MusicgenMelodyConfig(
        text_encoder=dict(TINY_TEXT), audio_encoder=dict(TINY_CODEC), decoder=decoder, num_chroma=12, chroma_length=40
    )


def model_class(config):
    """The conditional-generation class for a MusicGen or MusicGen-Melody config."""
    import transformers

    if config.model_type == "musicgen_melody":
        return transformers.MusicgenMelodyForConditionalGeneration
    return transformers.MusicgenForConditionalGeneration


def musicgen_small_config():
    """The real facebook/musicgen-small config (T5-base, EnCodec 32 kHz, 24-layer decoder)."""
    from transformers import MusicgenConfig

    return MusicgenConfig.from_dict(json.loads((REFERENCE / "musicgen_small.config.json").read_text()))


def build_model(config, seed: int = 0):
    """A MusicGen (or MusicGen-Melody) model with seeded random weights, in eval mode."""
    import torch
    from transformers import GenerationConfig

    torch.manual_seed(seed)
    model = model_class(config)(config).float().eval()  # the reference config says fp16
    with torch.no_grad():  # EnCodec's codebooks are zero buffers until trained: give them values
        for layer in model.audio_encoder.quantizer.layers:
            layer.codebook.embed.normal_()
            layer.codebook.embed_avg.copy_(layer.codebook.embed)
    pad = config.decoder.pad_token_id
    model.generation_config = GenerationConfig(
        decoder_start_token_id=pad,
        pad_token_id=pad,
        bos_token_id=pad,
        do_sample=True,
        guidance_scale=3.0,
        top_k=250,
        max_length=1500,
    )
    return model


def build_tokenizer():
    """A small word-level tokenizer standing in for T5's (ids below the tiny vocabulary)."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    words = ["<pad>", "</s>", "<unk>"] + [f"w{i}" for i in range(96)]
    core = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="<unk>"))
    core.normalizer = normalizers.Lowercase()
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(tokenizer_object=core, pad_token="<pad>", eos_token="</s>", unk_token="<unk>")


def save_debug_checkpoint(folder: str | Path, seed: int = 0, stereo: bool = False, melody: bool = False) -> Path:
    """Write a loadable tiny checkpoint (model, generation config, tokenizer; for melody also the
    chroma feature extractor) to `folder`."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    build_model(tiny_melody_config() if melody else tiny_config(stereo), seed).save_pretrained(folder)
    build_tokenizer().save_pretrained(folder)
    if melody:
        from transformers import MusicgenMelodyFeatureExtractor

        MusicgenMelodyFeatureExtractor().save_pretrained(folder)
    return folder
