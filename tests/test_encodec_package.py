"""The encodec package's 24 and 48 kHz codecs and .ecdc files, with random-weight models of the
real architectures (the real weights cannot be downloaded here)."""

import io

import numpy as np
import pytest
import torch

from mmgen import registry
from mmgen.codecs.base import Waveform
from mmgen.codecs.ecdc import ecdc_bytes, read_ecdc
from mmgen.codecs.encodec_package import Encodec48Codec, PackageEncodecCodec, build_model, weights_file
from mmgen.errors import GenerationFailed, InvalidRequest
from mmgen.post.export import export


def tone(seconds, rate, channels=1):
    t = np.arange(int(seconds * rate)) / rate
    wave = 0.3 * np.sin(2 * np.pi * 220 * t) * (1 + 0.5 * np.sin(2 * np.pi * 0.5 * t))
    return Waveform(np.repeat(wave[None], channels, 0).astype(np.float32), rate)


@pytest.fixture(scope="module")
def codec24():
    torch.manual_seed(0)
    return PackageEncodecCodec(build_model("encodec-24khz"))


@pytest.fixture(scope="module")
def codec48():
    torch.manual_seed(0)
    return Encodec48Codec(build_model("encodec-48khz"))


def test_24khz_tokens_and_exact_length(codec24):
    tokens = codec24.encode(tone(2.0, 24000), bandwidth_kbps=6.0)
    assert tokens.codes.shape == (1, 8, 150) and tokens.codebook_size == 1024  # 75 frames/s, 8 x 10 bits
    assert 0 <= tokens.codes.min() and tokens.codes.max() < 1024
    wave = codec24.decode(tokens)
    assert wave.samples.shape == (2, 88200) and np.isfinite(wave.samples).all()


def test_48khz_segments_with_scales(codec48):
    tokens = codec48.encode(tone(2.5, 48000, channels=2), bandwidth_kbps=6.0)
    assert tokens.codes.shape[1] == 4 and len(tokens.notes["scales"]) == 3  # 1 s segments, 1 % overlap
    wave = codec48.decode(tokens)
    assert wave.samples.shape == (2, round(2.5 * 44100)) and np.isfinite(wave.samples).all()


@pytest.mark.parametrize("which", ["codec24", "codec48"])
def test_ecdc_is_the_packages_own_format(which, request, tmp_path, monkeypatch):
    """mmgen's .ecdc bytes equal encodec.compress's, and each side reads the other's."""
    import importlib

    package = importlib.import_module("encodec.compress")  # `encodec.compress` is also a function
    codec = request.getfixturevalue(which)
    model = codec.model()
    model.set_target_bandwidth(6.0)
    wave = tone(1.7, model.sample_rate, channels=model.channels)
    tokens = codec.encode(wave, bandwidth_kbps=6.0)
    ours = ecdc_bytes(tokens)
    theirs = package.compress(model, torch.from_numpy(wave.samples), use_lm=False)
    assert ours == theirs
    (tmp_path / "t.ecdc").write_bytes(ours)
    back = read_ecdc(tmp_path / "t.ecdc", model=model)
    assert np.array_equal(back.codes, tokens.codes) and back.end_s == pytest.approx(1.7)
    monkeypatch.setitem(package.MODELS, model.name, lambda: model)
    audio, rate = package.decompress(ours)
    assert rate == model.sample_rate and audio.shape[-1] == wave.samples.shape[-1]


def test_ecdc_export_and_its_errors(codec24, tmp_path):
    tokens = codec24.encode(tone(1.0, 24000))
    written = export(tmp_path / "take.ecdc", None, tokens)
    assert written.read_bytes()[:4] == b"ECDC"
    with pytest.raises(InvalidRequest, match=r"cannot be saved as \.ecdc"):
        export(tmp_path / "bad.ecdc", None, object())
    assert not (tmp_path / "bad.ecdc").exists()
    (tmp_path / "text.ecdc").write_text("hello")
    with pytest.raises(InvalidRequest, match=r"not an \.ecdc file"):
        read_ecdc(tmp_path / "text.ecdc", model=codec24.model())
    (tmp_path / "short.ecdc").write_bytes(written.read_bytes()[:120])
    with pytest.raises(InvalidRequest, match="cut short"):
        read_ecdc(tmp_path / "short.ecdc", model=codec24.model())


def test_codebooks_must_fit(codec24):
    tokens = codec24.encode(tone(1.0, 24000))
    tokens.codebook_size = 2048
    with pytest.raises(GenerationFailed, match="do not fit"):
        codec24.decode(tokens)
    with pytest.raises(GenerationFailed, match="kbps"):
        codec24.encode(tone(1.0, 24000), bandwidth_kbps=5.0)


def test_availability_follows_the_weights_file(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.delenv("MMGEN_ENCODEC_DIR", raising=False)
    status = registry.availability("codec", "encodec-24khz")
    assert not status.ok and "encodec_24khz-d7cc33bc.th" in status.reason
    torch.manual_seed(3)
    saved = build_model("encodec-24khz")
    folder = tmp_path / "weights"
    folder.mkdir()
    torch.save(saved.state_dict(), folder / "encodec_24khz-d7cc33bc.th")
    monkeypatch.setenv("MMGEN_ENCODEC_DIR", str(folder))
    assert registry.availability("codec", "encodec-24khz").ok
    loaded = PackageEncodecCodec().model()
    assert weights_file("encodec-24khz") == folder / "encodec_24khz-d7cc33bc.th"
    assert all(torch.equal(a, b) for a, b in zip(saved.state_dict().values(), loaded.state_dict().values()))
    assert loaded.name == "encodec_24khz"
    assert isinstance(io.BytesIO(ecdc_bytes(PackageEncodecCodec(loaded).encode(tone(1.0, 24000)))), io.BytesIO)
