"""The multilingual sentence encoder: found on disk only (the Hugging Face cache layout, or
MMGEN_MULTILINGUAL_ENCODER), loaded through mmgen's own code, and used for descriptions not in
English. Tested with a tiny random-weight XLM-RoBERTa of the same classes as
paraphrase-multilingual-MiniLM-L12-v2, its tokenizer built from a small vocabulary."""

import pytest

from mmgen import registry
from mmgen.encoders.text import MULTILINGUAL_REPO, MultilingualTextEncoder, multilingual_model_dir
from mmgen.pipeline import make_plan
from mmgen.request import GenerationRequest

WORDS = "▁music ▁calm ▁happy ▁sad ▁jazz ▁piano ▁轻松 ▁的 ▁音乐 ▁lofi ▁beat ▁epic ▁trailer".split()


def tiny_xlmr(folder):
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import XLMRobertaConfig, XLMRobertaModel, XLMRobertaTokenizerFast

    pieces = [("<s>", 0.0), ("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)] + [(w, -1.0) for w in WORDS]
    pieces += [(chr(c), -5.0) for c in range(ord("a"), ord("z") + 1)] + [("▁", -2.0), ("<mask>", 0.0)]
    backend = Tokenizer(models.Unigram(pieces, unk_id=3))
    backend.pre_tokenizer = pre_tokenizers.Metaspace()
    tokenizer = XLMRobertaTokenizerFast(
        tokenizer_object=backend,
        bos_token="<s>",
        eos_token="</s>",
        unk_token="<unk>",
        pad_token="<pad>",
        cls_token="<s>",
        sep_token="</s>",
        mask_token="<mask>",
    )
    torch.manual_seed(0)
    config = XLMRobertaConfig(
        vocab_size=len(pieces),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=37,
        max_position_embeddings=300,
        pad_token_id=1,
    )
    XLMRobertaModel(config).eval().save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def test_found_in_the_hugging_face_cache_layout_and_nowhere_else(tmp_path, monkeypatch):
    monkeypatch.delenv("MMGEN_MULTILINGUAL_ENCODER", raising=False)
    assert multilingual_model_dir(cache_dir=tmp_path) is None
    repo = tmp_path / ("models--" + MULTILINGUAL_REPO.replace("/", "--"))
    snapshot = repo / "snapshots" / "0123abcd"
    snapshot.mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0123abcd")
    tiny_xlmr(snapshot)
    assert multilingual_model_dir(cache_dir=tmp_path) == snapshot


def test_a_description_not_in_english_is_read_by_it(tmp_path, point_at, monkeypatch):
    monkeypatch.setenv("MMGEN_CACHE", str(tmp_path / "cache"))
    point_at("MMGEN_MULTILINGUAL_ENCODER", tiny_xlmr(tmp_path / "xlmr"))
    encoder = registry.get("encoder", "text-multilingual")
    assert isinstance(encoder, MultilingualTextEncoder) and encoder.multilingual
    features = encoder.encode("轻松的音乐")
    assert features.embedding.shape == (32,)
    assert set(features.scores) == {"styles", "moods", "uses"}
    plan = make_plan(GenerationRequest(prompt="轻松的钢琴音乐，每分钟70拍", duration_s=20, seed=1))
    assert plan.language == "zh" and plan.tempo_bpm == 70 and "calm" in plan.moods  # the words still win
    assert list((tmp_path / "cache").glob("text-vectors-*.npy"))  # the vocabulary's vectors were kept


def test_absent_it_is_explained_and_the_words_alone_read(monkeypatch, tmp_path):
    monkeypatch.delenv("MMGEN_MULTILINGUAL_ENCODER", raising=False)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    status = registry.availability("encoder", "text-multilingual")
    if status.ok:
        pytest.skip("a multilingual encoder is in this machine's Hugging Face cache")
    assert "read by their words alone" in status.reason
    plan = make_plan(GenerationRequest(prompt="轻松的钢琴音乐", duration_s=20, seed=1))
    assert plan.language == "zh" and "calm" in plan.moods
