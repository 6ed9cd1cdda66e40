"""Sung vocals with Bark, on a tiny random BarkModel of the real classes and token layout, saved
and loaded with the real from_pretrained code (the real weights cannot be downloaded here)."""

import numpy as np
import pytest

from mmgen import GenerationRequest, generate, registry
from mmgen.codecs.base import Waveform
from mmgen.codecs.encodec import EncodecCodec
from mmgen.decoders.bark import BarkSinger, save_debug_checkpoint
from mmgen.errors import InvalidRequest, Unavailable
from mmgen.post.mix import mix_vocals
from mmgen.weights import forget_located

SONG = "[Verse]\nI walked along the river late at night\n\n[Chorus]\nTonight we are on fire"


@pytest.fixture(scope="module")
def tiny_bark(tmp_path_factory):
    return save_debug_checkpoint(tmp_path_factory.mktemp("bark-tiny"))


@pytest.fixture
def use_tiny_bark(tiny_bark, point_at, monkeypatch):
    monkeypatch.setattr(BarkSinger, "max_semantic_tokens", 40)  # random weights never say when to stop
    return point_at("MMGEN_BARK_PATH", tiny_bark)


def test_bark_emits_encodec_tokens(use_tiny_bark):
    tokens = BarkSinger().sing(["I walked along the river"], seed=1)
    assert tokens.codes.shape[:2] == (1, 8) and tokens.codes.shape[2] > 10
    assert 0 <= tokens.codes.min() and tokens.codes.max() < 1024 and tokens.frame_rate_hz == 75
    wave = EncodecCodec().decode(tokens)  # Bark's 24 kHz EnCodec at 6 kbps: 8 of its 32 codebooks
    assert wave.samples.shape == (2, round(tokens.end_s * 44100)) and np.isfinite(wave.samples).all()


def test_a_song_with_sung_vocals(use_tiny_bark):
    plain = generate(GenerationRequest(lyrics=SONG, duration_s=None, seed=3))
    sung = generate(GenerationRequest(lyrics=SONG, duration_s=None, seed=3, vocals="bark-small"))
    assert sung.audio.samples.shape == plain.audio.samples.shape  # the same song form and length
    assert not np.allclose(sung.audio.samples, plain.audio.samples)
    assert "vocals" in sung.timings_s and sung.mastering.loudness_lufs == pytest.approx(-14, abs=0.5)


def test_vocals_need_lyrics_and_weights(tmp_path, monkeypatch):
    with pytest.raises(InvalidRequest, match="need lyrics"):
        generate(GenerationRequest(prompt="pop", duration_s=10, vocals="bark-small"))
    monkeypatch.delenv("MMGEN_BARK_PATH", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    forget_located()
    assert not registry.availability("singer", "bark-small").ok
    with pytest.raises(Unavailable, match="suno/bark-small"):
        generate(GenerationRequest(lyrics=SONG, duration_s=None, vocals="bark-small"))
    forget_located()


def test_the_music_ducks_under_the_voice():
    """Music held at 0.2, a 1 s sung tone from 2 s: the music's level (the mean, as the tone
    averages to zero) drops by about DUCK_DB while the voice sings, and is untouched before."""
    from mmgen.post.mix import DUCK_DB

    rate = 44100
    music = Waveform(np.full((2, 4 * rate), 0.2, np.float32), rate)
    t = np.arange(rate) / rate
    voice = Waveform(np.repeat((0.3 * np.sin(2 * np.pi * 220 * t))[None], 2, 0).astype(np.float32), rate)
    mixed = mix_vocals(music, [(2.0, voice)]).samples
    assert mixed.shape == music.samples.shape
    assert np.allclose(mixed[:, rate // 2 : rate], 0.2)
    music_level = mixed[:, int(2.4 * rate) : int(2.9 * rate)].mean()
    assert music_level == pytest.approx(0.2 * 10 ** (DUCK_DB / 20), rel=0.15)
    assert np.abs(mixed[:, int(2.4 * rate) : int(2.9 * rate)] - music_level).max() > 0.1  # the voice is there
