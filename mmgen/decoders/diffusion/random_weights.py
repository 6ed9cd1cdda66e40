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
    from diffusers.pipelines.ace_step import AceStepConditionEncoder
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
    return AceStepPipeline(
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        transformer=transformer,
        condition_encoder=condition_encoder,
        scheduler=FlowMatchEulerDiscreteScheduler(num_train_timesteps=1, shift=1.0),
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
