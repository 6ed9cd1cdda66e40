"""Random-weight ACE-Step and Stable Audio 3 pipelines of the real classes, for tests and speed work.

`tiny` builds seconds-fast models of a few thousand weights (as diffusers' own tests do); the
real-size builders follow the production architectures, for benchmarks/diffusion_decode.py.
Tokenizers are built from a small vocabulary: nothing comes from the hub. Save one with
`save_pretrained(folder)` and point MMGEN_ACE_STEP_PATH / MMGEN_STABLE_AUDIO_3_PATH at it to
load it through mmgen's own loading code.
"""

from __future__ import annotations

WORDS = (
    "# instruction caption metas languages lyric fill the audio semantic mask based on given conditions "
    "repaint area generate tokens extract track from complete input with - bpm : timesignature keyscale "
    "duration seconds n/a major minor a an and of for no music song verse chorus bridge intro outro "
    "pre-chorus piano drums bass guitar strings synth pad lead happy calm sad dark epic lofi pop rock jazz "
    "ambient cinematic electronic en es ja de fr ko zh la love night light sing"
).split()
END, PAD, UNKNOWN = "<|endoftext|>", "<pad>", "<unk>"


def small_tokenizer():
    """A fast word-level tokenizer over WORDS (plus digits and punctuation as their own tokens)."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocabulary = [PAD, UNKNOWN, END, *dict.fromkeys(WORDS), *"0123456789.,[]\n"]
    tokenizer = Tokenizer(models.WordLevel({word: i for i, word in enumerate(vocabulary)}, unk_token=UNKNOWN))
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Split(END, "isolated"), pre_tokenizers.Whitespace(), pre_tokenizers.Digits(True)]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, pad_token=PAD, unk_token=UNKNOWN, eos_token=END, model_max_length=2048
    )


def tiny_ace_step():
    """An `AceStepPipeline` of tiny random components: 48 kHz -> 1.6 kHz audio, but the real
    latent rate (25 frames a second) and every component class the checkpoint has."""
    import torch
    from diffusers import AceStepPipeline, AutoencoderOobleck, FlowMatchEulerDiscreteScheduler
    from diffusers.models.transformers.ace_step_transformer import AceStepTransformer1DModel
    from diffusers.pipelines.ace_step import (
        AceStepAudioTokenDetokenizer,
        AceStepAudioTokenizer,
        AceStepConditionEncoder,
    )
    from transformers import Qwen3Config, Qwen3Model

    tokenizer = small_tokenizer()
    shared = dict(hidden_size=32, intermediate_size=64, num_attention_heads=4, num_key_value_heads=2, head_dim=8)
    torch.manual_seed(0)
    transformer = AceStepTransformer1DModel(
        **shared, num_hidden_layers=2, in_channels=24, audio_acoustic_hidden_dim=8, patch_size=2, sliding_window=16
    )
    text_encoder = Qwen3Model(
        Qwen3Config(**shared, num_hidden_layers=2, vocab_size=len(tokenizer), max_position_embeddings=4096)
    )
    condition_encoder = AceStepConditionEncoder(
        **shared,
        text_hidden_dim=32,
        timbre_hidden_dim=8,
        num_lyric_encoder_hidden_layers=1,
        num_timbre_encoder_hidden_layers=1,
        sliding_window=16,
    )
    vae = AutoencoderOobleck(
        encoder_hidden_size=16,  # the encoder gives mean and scale: twice the latent channels
        downsampling_ratios=[8, 8],
        channel_multiples=[1, 2],
        decoder_channels=4,
        decoder_input_channels=8,
        audio_channels=2,
        sampling_rate=1600,
    )
    # The 5 Hz audio tokenizer and its detokenizer: what `cover` turns the source audio into.
    pooler = dict(**shared, audio_acoustic_hidden_dim=8, num_attention_pooler_hidden_layers=1, sliding_window=16)
    return AceStepPipeline(
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        transformer=transformer,
        condition_encoder=condition_encoder,
        scheduler=FlowMatchEulerDiscreteScheduler(num_train_timesteps=1, shift=1.0),
        audio_tokenizer=AceStepAudioTokenizer(**pooler, fsq_dim=32, fsq_input_levels=[8, 5, 5]),
        audio_token_detokenizer=AceStepAudioTokenDetokenizer(**pooler),
    )


def tiny_stable_audio_3():
    """A `StableAudio3Pipeline` of tiny random components (1.6 kHz stereo, 25 latent frames a second)."""
    import torch
    from diffusers import AutoencoderSAME, FlowMatchEulerDiscreteScheduler, StableAudio3DiTModel, StableAudio3Pipeline
    from diffusers.pipelines.stable_audio_3.modeling_stable_audio_3 import StableAudio3DurationEmbedder
    from transformers import T5GemmaConfig, T5GemmaEncoderModel
    from transformers.models.t5gemma.configuration_t5gemma import T5GemmaModuleConfig

    tokenizer = small_tokenizer()
    width = 16  # the text encoder's, the DiT's conditioning and the duration embedding's width must match
    torch.manual_seed(0)
    transformer = StableAudio3DiTModel(
        io_channels=8,
        embed_dim=32,
        depth=2,
        num_heads=4,
        cond_token_dim=width,
        global_cond_dim=width,
        local_add_cond_dim=9,  # the inpaint pipeline's mask channel + the latent channels
        timestep_features_dim=16,
        ff_mult=2,
        num_memory_tokens=3,
        use_differential_attention=False,
    )
    vae = AutoencoderSAME(
        audio_channels=2,
        patch_size=8,
        encoder_channels=8,
        encoder_c_mults=(2,),
        encoder_strides=(8,),
        encoder_transformer_depths=(1,),
        latent_dim=8,
        use_differential_attention=False,
        dim_heads=4,
        ff_mult=2,
        sampling_rate=1600,
    )
    # The class zero-initialises its blocks' output projections (as a trained model would start):
    # random ones instead, so the untrained decoder makes sound rather than near-silence.
    for name, parameter in vae.decoder.named_parameters():
        if name.endswith(("weight", "new_tokens")) and not parameter.detach().any():
            torch.nn.init.normal_(parameter.data, std=0.5)
    module = T5GemmaModuleConfig(
        vocab_size=len(tokenizer),
        hidden_size=width,
        intermediate_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
        head_dim=8,
        max_position_embeddings=512,
        sliding_window=64,
        layer_types=["full_attention", "full_attention"],
    )
    text_encoder = T5GemmaEncoderModel(
        T5GemmaConfig(encoder=module.to_dict(), decoder=module.to_dict(), is_encoder_decoder=False)
    )
    return StableAudio3Pipeline(
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        duration_embedder=StableAudio3DurationEmbedder(output_dim=width, fourier_dim=16),
        transformer=transformer,
        scheduler=FlowMatchEulerDiscreteScheduler(stochastic_sampling=True),
    )


# ---- real-size builders: the production architectures, random weights (benchmarks/diffusion_decode.py) ----------
#
# Each is a few GB of fp32 weights and takes seconds to initialise; nothing is downloaded.

ACE_STEP_XL_LAYERS = 32  # the registered checkpoint's DiT depth
# ACE-Step 1.5 XL turbo DiT. Model card: hidden 2560, 32 layers, 32 heads, condition encoder width 2048. Key/value
# heads 8, head_dim 128 and intermediate 9728 are not on the card: they are the shapes third-party ports read off
# the released weights (and they agree with its ~9 GB of bf16 weights against ~4.7 GB for the 2B).
ACE_STEP_XL_DIT = dict(
    hidden_size=2560,
    intermediate_size=9728,
    num_attention_heads=32,
    num_key_value_heads=8,
    head_dim=128,
    encoder_hidden_size=2048,
)
# Qwen3-Embedding-0.6B, ACE-Step 1.5's text encoder.
QWEN3_EMBEDDING_0_6B = dict(
    vocab_size=151669,
    hidden_size=1024,
    intermediate_size=3072,
    num_hidden_layers=28,
    num_attention_heads=16,
    num_key_value_heads=8,
    head_dim=128,
    max_position_embeddings=32768,
    rms_norm_eps=1e-6,
    tie_word_embeddings=True,
)
# T5Gemma b-b (google/t5gemma-b-b-ul2), Stable Audio 3's text encoder: its encoder stack.
T5GEMMA_B_ENCODER = dict(
    vocab_size=256000,
    hidden_size=768,
    intermediate_size=2048,
    num_hidden_layers=12,
    num_attention_heads=12,
    num_key_value_heads=12,
    head_dim=64,
    query_pre_attn_scalar=64,
    max_position_embeddings=8192,
    sliding_window=4096,
)


def ace_step_text_encoder():
    """Qwen3-Embedding-0.6B's architecture (`transformers.Qwen3Model`), random weights."""
    from transformers import Qwen3Config, Qwen3Model

    return Qwen3Model(Qwen3Config(**QWEN3_EMBEDDING_0_6B)).eval()


def ace_step_condition_encoder():
    """ACE-Step 1.5's condition encoder: the class defaults (lyric encoder 8 layers, timbre encoder 4, width 2048);
    the XL turbo has the same one."""
    from diffusers.pipelines.ace_step import AceStepConditionEncoder

    return AceStepConditionEncoder().eval()


def ace_step_transformer(xl: bool = False, layers: int | None = None):
    """The ACE-Step 1.5 DiT: the class defaults (the 2B turbo: width 2048, 24 layers) or, with `xl`, the XL turbo's
    shapes (ACE_STEP_XL_DIT, 32 layers). `layers` builds only that many of its layers (the sliding/full alternation
    kept), to time a model too big for memory layer by layer."""
    from diffusers.models.transformers.ace_step_transformer import AceStepTransformer1DModel

    shape = dict(ACE_STEP_XL_DIT, num_hidden_layers=ACE_STEP_XL_LAYERS) if xl else {}
    if layers is not None:
        shape["num_hidden_layers"] = layers
    return AceStepTransformer1DModel(**shape, is_turbo=True).eval()


def ace_step_vae():
    """ACE-Step 1.5's `AutoencoderOobleck`: 48 kHz stereo, 1920 samples a latent frame (25 a second), 64 channels."""
    from diffusers import AutoencoderOobleck

    return AutoencoderOobleck(
        encoder_hidden_size=128,
        downsampling_ratios=[2, 4, 4, 6, 10],
        channel_multiples=[1, 2, 4, 8, 16],
        decoder_channels=128,
        decoder_input_channels=64,
        audio_channels=2,
        sampling_rate=48000,
    ).eval()


def real_ace_step(xl: bool = False, transformer_layers: int | None = None):
    """An `AceStepPipeline` of ACE-Step 1.5's real architectures with random weights: the 2B turbo DiT, or with `xl`
    the XL turbo's (`transformer_layers`: see `ace_step_transformer`), and the 5 Hz audio tokenizer and detokenizer
    (the class defaults) that `cover` uses. The tokenizer is `small_tokenizer()`."""
    import torch
    from diffusers import AceStepPipeline, FlowMatchEulerDiscreteScheduler
    from diffusers.pipelines.ace_step import AceStepAudioTokenDetokenizer, AceStepAudioTokenizer

    torch.manual_seed(0)
    return AceStepPipeline(
        vae=ace_step_vae(),
        text_encoder=ace_step_text_encoder(),
        tokenizer=small_tokenizer(),
        transformer=ace_step_transformer(xl, transformer_layers),
        condition_encoder=ace_step_condition_encoder(),
        scheduler=FlowMatchEulerDiscreteScheduler(num_train_timesteps=1, shift=1.0),
        audio_tokenizer=AceStepAudioTokenizer().eval(),
        audio_token_detokenizer=AceStepAudioTokenDetokenizer().eval(),
    )


def stable_audio_3_text_encoder():
    """T5Gemma b-b's encoder (`transformers.T5GemmaEncoderModel`, T5GEMMA_B_ENCODER), random weights."""
    from transformers import T5GemmaConfig, T5GemmaEncoderModel
    from transformers.models.t5gemma.configuration_t5gemma import T5GemmaModuleConfig

    layers = T5GEMMA_B_ENCODER["num_hidden_layers"]
    module = T5GemmaModuleConfig(
        **T5GEMMA_B_ENCODER, layer_types=["sliding_attention", "full_attention"] * (layers // 2)
    ).to_dict()
    return T5GemmaEncoderModel(T5GemmaConfig(encoder=module, decoder=module, is_encoder_decoder=False)).eval()


def stable_audio_3_transformer(layers: int | None = None):
    """Stable Audio 3 medium's DiT: the class defaults (width 1536, 24 layers); `layers` builds fewer."""
    from diffusers import StableAudio3DiTModel

    return StableAudio3DiTModel(**({} if layers is None else {"depth": layers})).eval()


def stable_audio_3_vae(large: bool = True):
    """Stable Audio 3's `AutoencoderSAME`: SAME-L (852 M weights, the medium model's, as the class documents it) or,
    with `large=False`, the class defaults, SAME-S (the small models'). 44.1 kHz stereo, 4096 samples a latent frame.
    The class zero-initialises its output projections (a trained model's starting point): the decoder's are made
    small random ones, so the untrained decoder computes what a trained one would (and is not silent)."""
    import torch
    from diffusers import AutoencoderSAME

    same_l = dict(encoder_channels=256, encoder_transformer_depths=(12,), decoder_sinusoidal_blocks=(8,))
    vae = AutoencoderSAME(**(same_l if large else {})).eval()
    with torch.no_grad():
        for name, parameter in vae.decoder.named_parameters():
            if name.endswith("weight") and not parameter.any():
                torch.nn.init.normal_(parameter, std=0.02)
    return vae


def real_stable_audio_3(transformer_layers: int | None = None, large_vae: bool = True):
    """A `StableAudio3Pipeline` of Stable Audio 3 medium's real architectures with random weights (the tokenizer is
    `small_tokenizer()`; SA3 pads every caption to 256 tokens)."""
    import torch
    from diffusers import FlowMatchEulerDiscreteScheduler, StableAudio3Pipeline
    from diffusers.pipelines.stable_audio_3.modeling_stable_audio_3 import StableAudio3DurationEmbedder

    torch.manual_seed(0)
    return StableAudio3Pipeline(
        vae=stable_audio_3_vae(large_vae),
        text_encoder=stable_audio_3_text_encoder(),
        tokenizer=small_tokenizer(),
        duration_embedder=StableAudio3DurationEmbedder().eval(),
        transformer=stable_audio_3_transformer(transformer_layers),
        scheduler=FlowMatchEulerDiscreteScheduler(stochastic_sampling=True),
    )
