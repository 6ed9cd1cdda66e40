"""Vocos as the codec of Bark's EnCodec 24 kHz tokens, on a tiny random Vocos of the real classes
saved to a folder and loaded back through mmgen's own loader, over a random EnCodec 24 kHz of the
real size (the smallest the real classes allow; the real weights cannot be downloaded here)."""

import numpy as np
import pytest
import torch

from mmgen import GenerationRequest, generate, registry
from mmgen.codecs.encodec_package import build_model
from mmgen.codecs.vocos import VocosCodec, save_debug_checkpoint
from mmgen.components import register_builtins
from mmgen.errors import GenerationFailed, InvalidRequest, Unavailable
from mmgen.request import validate
from mmgen.tokens import AudioTokens, ScoreTokens
from mmgen.weights import forget_located

register_builtins()
HOP = 320  # samples a frame at 24 kHz: 75 frames a second
SONG = "[Verse]\nI walked along the river late at night\n\n[Chorus]\nTonight we are on fire"


@pytest.fixture(scope="module")
def tiny_vocos(tmp_path_factory):
    """(Vocos folder, EnCodec folder): a tiny Vocos and the random EnCodec 24 kHz it is built on."""
    root = tmp_path_factory.mktemp("vocos-tiny")
    torch.manual_seed(1)
    encodec = build_model("encodec-24khz")
    (root / "encodec").mkdir()
    torch.save(encodec.state_dict(), root / "encodec" / "encodec_24khz-d7cc33bc.th")
    return save_debug_checkpoint(root / "vocos", encodec=encodec), root / "encodec"


@pytest.fixture
def use_tiny_vocos(tiny_vocos, point_at, monkeypatch):
    monkeypatch.setenv("MMGEN_ENCODEC_DIR", str(tiny_vocos[1]))
    return point_at("MMGEN_VOCOS_PATH", tiny_vocos[0])


def bark_tokens(batch: int, codebooks: int, frames: int, seed: int = 0) -> AudioTokens:
    codes = np.random.default_rng(seed).integers(0, 1024, (batch, codebooks, frames))
    return AudioTokens(codes=codes, codebook_size=1024, frame_rate_hz=75, codec="encodec", end_s=frames / 75)


def test_vocos_decodes_bark_tokens(use_tiny_vocos):
    assert registry.availability("codec", "vocos").ok
    codec = registry.get("codec", "vocos")  # loaded through mmgen's loader from the folder
    saved = torch.load(use_tiny_vocos / "pytorch_model.bin")
    loaded = codec.model().state_dict()
    assert all(torch.equal(value, loaded[key].cpu()) for key, value in saved.items())
    tokens = bark_tokens(batch=2, codebooks=8, frames=150)  # Bark's layout: 8 codebooks, 6 kbps
    audio = codec.decode_24khz(tokens)
    assert audio.shape == (2, 150 * HOP) and np.isfinite(audio).all() and audio.std() > 0
    assert not np.allclose(audio[0], audio[1])
    assert codec.decode_24khz(bark_tokens(1, 4, 40)).shape == (1, 40 * HOP)  # 3 kbps
    wave = codec.decode(tokens)
    assert wave.samples.shape == (2, 88200) and wave.sample_rate_hz == 44100 and np.isfinite(wave.samples).all()


def test_the_wrong_tokens_fail_loudly(use_tiny_vocos):
    codec = VocosCodec()
    musicgen = AudioTokens(
        np.zeros((1, 4, 50), np.int64), codebook_size=2048, frame_rate_hz=50, codec="encodec", end_s=1
    )
    with pytest.raises(GenerationFailed, match=r"\(4 codebooks of 2048 at 50 frames/s\) do not fit Vocos"):
        codec.decode(musicgen)
    with pytest.raises(GenerationFailed, match="2, 4, 8, 16 codebooks of 1024 at 75 frames/s"):
        codec.decode(bark_tokens(1, 5, 20))
    score = ScoreTokens(tempo_bpm=120, quarters_per_beat=1, meter="4/4", parts=[], end_s=1.0)
    with pytest.raises(GenerationFailed, match="not a score"):
        codec.decode(score)


def test_vocos_is_unavailable_without_its_weights_or_encodecs(tiny_vocos, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.delenv("MMGEN_VOCOS_PATH", raising=False)
    monkeypatch.delenv("MMGEN_ENCODEC_DIR", raising=False)
    forget_located()
    status = registry.availability("codec", "vocos")
    assert not status.ok and "charactr/vocos-encodec-24khz" in status.reason and "HF_HUB_OFFLINE" in status.reason
    monkeypatch.setenv("MMGEN_VOCOS_PATH", str(tiny_vocos[0]))  # Vocos's weights, but not EnCodec's
    forget_located()
    status = registry.availability("codec", "vocos")
    assert not status.ok and status.reason.startswith("it is built on EnCodec 24 kHz, whose weights")
    assert "encodec_24khz-d7cc33bc.th" in status.reason
    with pytest.raises(Unavailable, match="The codec 'vocos' is not available here: it is built on EnCodec"):
        VocosCodec().model()
    (tmp_path / "bark").mkdir()  # a Bark folder is enough to offer the singer (it loads on first song)
    (tmp_path / "bark" / "config.json").write_text("{}")
    monkeypatch.setenv("MMGEN_BARK_PATH", str(tmp_path / "bark"))
    forget_located()
    with pytest.raises(Unavailable, match="The codec 'vocos' is not available here"):  # before any work
        generate(GenerationRequest(lyrics=SONG, duration_s=None, vocals="bark-small", vocals_codec="vocos"))
    forget_located()
    registry._INSTANCES.clear()


class SteadySinger:
    """A stand-in for Bark (tested in test_bark.py): its token layout, random codes, 2 s a section."""

    def sing(self, lines: list[str], seed: int) -> AudioTokens:
        return bark_tokens(1, 8, 150, seed)


def test_a_song_sung_through_vocos(use_tiny_vocos, monkeypatch):
    entry = registry.Entry(
        "singer", "steady", f"{__name__}:SteadySinger", "a stand-in singer", lambda: registry.Availability(True), True
    )
    monkeypatch.setitem(registry._ENTRIES, ("singer", "steady"), entry)
    song = dict(lyrics=SONG, duration_s=None, seed=3, sound="general-midi")  # the faster sound
    plain = generate(GenerationRequest(**song))
    sung = generate(GenerationRequest(**song, vocals="steady", vocals_codec="vocos"))
    assert sung.audio.samples.shape == plain.audio.samples.shape and "vocals" in sung.timings_s
    assert not np.allclose(sung.audio.samples, plain.audio.samples)
    assert sung.request.vocals_codec == "vocos"


def test_the_vocals_codec_is_checked():
    with pytest.raises(InvalidRequest, match="must be one of encodec, vocos"):
        validate(GenerationRequest(lyrics="la la", vocals="bark-small", vocals_codec="hifigan"))
    with pytest.raises(InvalidRequest, match="choose a singer too"):
        validate(GenerationRequest(lyrics="la la", vocals_codec="vocos"))
    assert validate(GenerationRequest(lyrics="la la", vocals="bark", vocals_codec="vocos")).vocals_codec == "vocos"
