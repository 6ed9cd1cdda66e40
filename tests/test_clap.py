"""CLAP scoring with a tiny random-weight ClapModel saved to disk (the real loading code)."""

import numpy as np
import pytest

from mmgen import GenerationRequest
from mmgen.eval import clap
from mmgen.pipeline import generate_variations


@pytest.fixture(scope="module")
def tiny_clap(tmp_path_factory):
    from transformers import ClapConfig, ClapFeatureExtractor, ClapModel

    from mmgen.decoders.musicgen.debug import build_tokenizer

    folder = tmp_path_factory.mktemp("clap-tiny")
    config = ClapConfig(
        text_config=dict(
            vocab_size=99,
            hidden_size=32,
            num_hidden_layers=2,
            num_attention_heads=4,
            intermediate_size=37,
            max_position_embeddings=64,
            pad_token_id=0,
        ),
        audio_config=dict(
            patch_embeds_hidden_size=16,
            hidden_size=32,
            depths=[1, 1],
            num_attention_heads=[2, 2],
            projection_hidden_size=32,
        ),
        projection_dim=16,
    )
    ClapModel(config).save_pretrained(folder)
    ClapFeatureExtractor().save_pretrained(folder)
    build_tokenizer().save_pretrained(folder)
    return folder


def test_no_weights_no_scoring(monkeypatch, tmp_path):
    monkeypatch.delenv("MMGEN_CLAP_PATH", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    assert clap.clap_scorer() is None


def test_score_is_a_deterministic_cosine(tiny_clap, monkeypatch):
    monkeypatch.setenv("MMGEN_CLAP_PATH", str(tiny_clap))
    scorer = clap.clap_scorer()
    t = np.arange(44100 * 23) / 44100
    audio = np.stack([np.sin(2 * np.pi * 220 * t), np.sin(2 * np.pi * 330 * t)]).astype(np.float32) * 0.3
    a, b = scorer.score(audio, 44100, "w1 w2"), scorer.score(audio, 44100, "w1 w2")
    assert a == b and -1.0 <= a <= 1.0
    assert scorer.score(audio[:, : 44100 * 3], 44100, "w1 w2") != a  # a short clip is repeat-padded


def test_takes_are_ranked_by_clap_score(tiny_clap, monkeypatch):
    monkeypatch.setenv("MMGEN_CLAP_PATH", str(tiny_clap))
    tracks = generate_variations(GenerationRequest(prompt="w3 w4", duration_s=6, seed=3, variations=3))
    scores = [t.report()["clap_score"] for t in tracks]
    assert scores == sorted(scores, reverse=True)
    assert sorted(t.request.seed for t in tracks) == [3, 4, 5]
    assert "score" in tracks[0].report()["compute_s"]
