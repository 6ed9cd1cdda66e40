"""mmgen's MusicGen decoding loop against transformers' stock generate, on a tiny random model."""

from types import SimpleNamespace

import pytest
import torch

from mmgen.decoders.musicgen.debug import build_model, tiny_config, tiny_melody_config
from mmgen.decoders.musicgen.loop import DecodeLoop, SamplingConfig, encode_text, melody_prefix
from mmgen.decoders.musicgen.quantize import quantize_for_cpu

K = 4


@pytest.fixture(scope="module")
def model():
    return build_model(tiny_config(), seed=0)


@pytest.fixture(scope="module")
def text():
    ids = torch.tensor([[5, 9, 13, 1], [7, 8, 1, 0]])
    return ids, (ids != 0).long()


def stock(model, ids, mask, frames, guidance, prompt=None, **inputs):
    captured = {}

    def capture(codes, *args, **kwargs):
        captured["codes"] = codes[0].clone()
        return SimpleNamespace(audio_values=torch.zeros(1))

    original, model.audio_encoder.decode = model.audio_encoder.decode, capture
    extra = {} if prompt is None else {"decoder_input_ids": prompt.reshape(-1, prompt.shape[-1])}
    try:
        with torch.inference_mode():
            model.generate(
                input_ids=ids,
                attention_mask=mask,
                do_sample=False,
                guidance_scale=guidance,
                max_new_tokens=frames + K - 1 - (0 if prompt is None else prompt.shape[-1]),
                **extra,
                **inputs,
            )
    finally:
        model.audio_encoder.decode = original
    return captured["codes"]


def ours(model, ids, mask, frames, guidance, prompt=None, sampling=None):
    loop = DecodeLoop(model, batch=ids.shape[0], max_positions=frames + K, guidance=guidance > 1)
    loop.set_condition(encode_text(model, ids, mask), mask)
    grid = loop.generate(sampling or SamplingConfig(greedy=True, guidance_scale=guidance), prompt=prompt)
    return loop.undelay(grid)


@pytest.mark.parametrize("guidance", [1.0, 3.0])
def test_greedy_tokens_equal_stock(model, text, guidance):
    ids, mask = text
    expected = stock(model, ids, mask, 30, guidance)
    got = ours(model, ids, mask, 30, guidance)
    assert got.shape == (2, K, 30)
    assert torch.equal(got, expected)


def test_continuation_of_a_prompt_equals_stock(model, text):
    ids, mask = text
    prompt = torch.randint(0, 64, (2, K, 7))
    expected = stock(model, ids, mask, 25, 3.0, prompt=prompt)
    got = ours(model, ids, mask, 25, 3.0, prompt=prompt)
    assert torch.equal(got, expected)
    assert torch.equal(got[:, :, :7], prompt)  # the prompt is kept, then continued


def test_sampling_is_seeded_and_in_range(model, text):
    ids, mask = text
    sampling = SamplingConfig(top_k=20, top_p=0.9, temperature=1.2, guidance_scale=3.0)

    def draw(seed):
        loop = DecodeLoop(model, batch=2, max_positions=24 + K, guidance=True)
        loop.set_condition(encode_text(model, ids, mask), mask)
        return loop.undelay(loop.generate(sampling, generator=torch.Generator().manual_seed(seed)))

    a, b, c = draw(1), draw(1), draw(2)
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert int(a.min()) >= 0 and int(a.max()) < 64


def test_top_k_one_is_greedy(model, text):
    ids, mask = text
    greedy = ours(model, ids, mask, 20, 3.0)
    top1 = ours(model, ids, mask, 20, 3.0, sampling=SamplingConfig(top_k=1, guidance_scale=3.0))
    assert torch.equal(greedy, top1)


def test_int8_cpu_path_runs(model, text):
    ids, mask = text
    codes = ours(quantize_for_cpu(model), ids, mask, 20, 3.0)
    assert codes.shape == (2, K, 20) and int(codes.max()) < 64


def test_stereo_greedy_tokens_equal_stock(text):
    """Stereo checkpoints interleave left/right codebooks (8 = 4 x 2) in the delay pattern."""
    ids, mask = text
    stereo = build_model(tiny_config(stereo=True), seed=1)
    loop = DecodeLoop(stereo, batch=2, max_positions=20 + 4, guidance=True)
    loop.set_condition(encode_text(stereo, ids, mask), mask)
    grid = loop.generate(SamplingConfig(greedy=True, guidance_scale=3.0))
    captured = {}

    def capture(codes, *args, **kwargs):
        captured.setdefault("codes", []).append(codes[0].clone())
        return SimpleNamespace(audio_values=torch.zeros(1, 1, 1))

    original, stereo.audio_encoder.decode = stereo.audio_encoder.decode, capture
    try:
        with torch.inference_mode():
            stereo.generate(
                input_ids=ids, attention_mask=mask, do_sample=False, guidance_scale=3.0, max_new_tokens=20 + 4 - 1
            )
    finally:
        stereo.audio_encoder.decode = original
    left, right = captured["codes"]
    expected = torch.stack([left, right], dim=2).flatten(1, 2)  # re-interleave [L0 R0 L1 R1 ...]
    assert torch.equal(loop.undelay(grid), expected)


@pytest.fixture(scope="module")
def melody_model():
    return build_model(tiny_melody_config(), seed=2)


@pytest.mark.parametrize("guidance", [1.0, 3.0])
@pytest.mark.parametrize("with_chroma", [False, True])
def test_melody_greedy_tokens_equal_stock(melody_model, text, guidance, with_chroma):
    """MusicGen-Melody: chroma + text as a prefix of the decoder's own sequence, no cross-attention."""
    ids, mask = text
    chroma = torch.rand(2, 9, 12) if with_chroma else None  # 9 frames, looped to chroma_length
    extra = {} if chroma is None else {"input_features": chroma}
    expected = stock(melody_model, ids, mask, 24, guidance, **extra)
    loop = DecodeLoop(melody_model, batch=2, max_positions=24 + K, guidance=guidance > 1)
    loop.set_prefix(*melody_prefix(melody_model, ids, mask, chroma))
    got = loop.undelay(loop.generate(SamplingConfig(greedy=True, guidance_scale=guidance)))
    assert torch.equal(got, expected)


def test_melody_changes_the_music(melody_model, text):
    ids, mask = text

    def greedy(chroma):
        loop = DecodeLoop(melody_model, batch=2, max_positions=20 + K, guidance=True)
        loop.set_prefix(*melody_prefix(melody_model, ids, mask, chroma))
        return loop.undelay(loop.generate(SamplingConfig(greedy=True)))

    c_major = torch.zeros(2, 4, 12)
    c_major[:, :, [0, 4, 7]] = 1
    f_sharp = torch.zeros(2, 4, 12)
    f_sharp[:, :, [6, 10, 1]] = 1
    assert not torch.equal(greedy(c_major), greedy(f_sharp))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_graph_path_equals_eager_path(text):
    """The captured step draws the same tokens as the eager loop, greedy and sampled."""
    ids, mask = (t.cuda() for t in text)
    model = build_model(tiny_config(), seed=0).cuda()
    for sampling in (SamplingConfig(greedy=True), SamplingConfig(top_k=20, temperature=1.0)):
        grids = []
        for graph in (False, True):
            loop = DecodeLoop(model, batch=2, max_positions=30, guidance=True, use_cuda_graph=graph)
            loop.set_condition(encode_text(model, ids, mask), mask)
            gens = [torch.Generator(device="cuda").manual_seed(s) for s in (1, 2)]
            grids.append(loop.generate(sampling, generator=gens))
        assert torch.equal(grids[0], grids[1])
    melody = build_model(tiny_melody_config(), seed=2).cuda()
    chroma, grids = torch.rand(2, 9, 12, device="cuda"), []
    for graph in (False, True):
        loop = DecodeLoop(melody, batch=2, max_positions=30, guidance=True, use_cuda_graph=graph)
        loop.set_prefix(*melody_prefix(melody, ids, mask, chroma))
        grids.append(loop.generate(SamplingConfig(greedy=True)))
    assert torch.equal(grids[0], grids[1])
