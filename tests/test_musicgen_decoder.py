"""The musicgen decoder and the EnCodec codec end to end, on a tiny random checkpoint saved to
disk and loaded with the real from_pretrained code. Real weights are not needed here."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mmgen import GenerationRequest, generate, registry
from mmgen.codecs.encodec import EncodecCodec, EncodecStream, decode_in_windows
from mmgen.decoders.musicgen import checkpoints
from mmgen.decoders.musicgen.captions import caption_for
from mmgen.decoders.musicgen.debug import save_debug_checkpoint
from mmgen.decoders.musicgen.decoder import MusicgenDecoder
from mmgen.errors import GenerationFailed, InvalidRequest, Unavailable
from mmgen.pipeline import make_plan
from mmgen.weights import forget_located

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory):
    return save_debug_checkpoint(tmp_path_factory.mktemp("musicgen-tiny"))


@pytest.fixture
def use_tiny(tiny_checkpoint, point_at):
    return point_at("MMGEN_MUSICGEN_PATH", tiny_checkpoint)


def test_caption_carries_the_plan():
    plan = make_plan(
        GenerationRequest(prompt="lofi beat for cooking", duration_s=20, seed=1, tempo_bpm=84, key="D minor")
    )
    text = caption_for(plan)
    assert text.startswith("lofi beat for cooking.")
    assert "84 bpm" in text and "D minor" in text and "4/4 time" in text and "drums" in text


@pytest.mark.parametrize("duration_s", [0.5, 1.37, 3.3])
def test_windowed_generation_exact_length_and_seamless(use_tiny, duration_s):
    """Windows of 1 s continuing 0.4 s of context: one token stream, decoded to the exact length."""
    decoder = MusicgenDecoder(max_window_s=1.0, context_s=0.4)
    plan = make_plan(GenerationRequest(prompt="ambient", duration_s=5, seed=3))
    plan.duration_s = duration_s  # below the product's 5 s minimum, to keep the tiny model quick
    tokens = decoder.decode(plan, seed=3)
    frames = tokens.codes.shape[-1]
    assert tokens.codes.shape[:2] == (1, 4) and frames == int(np.ceil(duration_s * 50)) + 1
    assert tokens.codes.min() >= 0 and tokens.codes.max() < 64
    wave = EncodecCodec().decode(tokens)
    assert wave.samples.shape == (2, round(duration_s * 44100)) and np.isfinite(wave.samples).all()
    # Windowed decoding equals decoding the whole stream at once, up to the crossfade: no seam.
    import torch

    model = tokens.codec_model
    with torch.inference_mode():
        whole = model.decode(torch.as_tensor(tokens.codes)[None], [None]).audio_values[0, 0].numpy()
    windowed = decode_in_windows(model, torch.as_tensor(tokens.codes), window_frames=40, overlap_frames=8)[0]
    n = min(len(whole), len(windowed))
    assert np.max(np.abs(whole[:n] - windowed[:n])) <= 0.01 * np.max(np.abs(whole))


def test_same_seed_same_tokens(use_tiny):
    decoder = MusicgenDecoder(max_window_s=1.0, context_s=0.4)
    plan = make_plan(GenerationRequest(prompt="rock", duration_s=5, seed=1))
    plan.duration_s = 1.5
    a, b, c = (decoder.decode(plan, seed=s).codes for s in (7, 7, 8))
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_pipeline_with_the_tiny_checkpoint(use_tiny):
    track = generate(GenerationRequest(prompt="jazz", duration_s=5, seed=2, decoder="musicgen"))
    report = track.report()
    assert track.audio.samples.shape == (2, 5 * 44100)
    assert report["decoder"] == "musicgen" and report["codec"] == "encodec"
    assert "bpm" in report["decoder_notes"]["caption"]
    assert set(report["measured"]) == {"tempo_bpm", "key"}


def test_codebook_mismatch_fails_loudly(use_tiny):
    decoder = MusicgenDecoder(max_window_s=1.0, context_s=0.4)
    plan = make_plan(GenerationRequest(prompt="pop", duration_s=5, seed=1))
    plan.duration_s = 0.5
    tokens = decoder.decode(plan, seed=1)
    tokens.codebook_size = 2048
    with pytest.raises(GenerationFailed, match="do not fit"):
        EncodecCodec().decode(tokens)


def test_unavailable_without_weights(monkeypatch, tmp_path):
    monkeypatch.delenv("MMGEN_MUSICGEN_PATH", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path))  # an empty cache
    forget_located()
    status = registry.availability("decoder", "musicgen")
    assert not status.ok and "HF_HUB_OFFLINE" in status.reason
    with pytest.raises(Unavailable, match="not available here"):
        generate(GenerationRequest(prompt="jazz", duration_s=5, seed=2, decoder="musicgen"))
    forget_located()


def test_cli_says_why_musicgen_is_not_offered(tmp_path):
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_HOME=str(tmp_path))
    env.pop("MMGEN_MUSICGEN_PATH", None)
    listing = subprocess.run(
        [sys.executable, "-m", "mmgen", "decoders"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert "musicgen" in listing.stdout and "unavailable" in listing.stdout
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mmgen",
            "generate",
            "--decoder",
            "musicgen",
            "--duration",
            "5",
            "--out",
            str(tmp_path / "x.wav"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2 and "not available here" in result.stderr
    assert not (tmp_path / "x.wav").exists()


@pytest.mark.skipif(
    checkpoints.local_folder("musicgen-small") is None or os.environ.get("MMGEN_MUSICGEN_PATH") is not None,
    reason="needs the real facebook/musicgen-small weights in the local cache",
)
def test_real_musicgen_small():
    track = generate(GenerationRequest(prompt="lofi beat", duration_s=8, seed=1, decoder="musicgen"))
    assert track.audio.samples.shape == (2, 8 * 44100)


def test_stereo_checkpoint_gives_two_channels(tmp_path, monkeypatch):
    monkeypatch.setenv("MMGEN_MUSICGEN_PATH", str(save_debug_checkpoint(tmp_path / "stereo", stereo=True)))
    forget_located()
    plan = make_plan(GenerationRequest(prompt="pop", duration_s=5, seed=1))
    plan.duration_s = 1.2
    tokens = MusicgenDecoder(max_window_s=1.0, context_s=0.4).decode(plan, seed=4)
    assert tokens.channels == 2 and tokens.codes.shape[:2] == (1, 8)
    assert tokens.codes.shape[-1] == int(np.ceil(1.2 * 50)) + 1
    wave = EncodecCodec().decode(tokens)
    assert wave.samples.shape == (2, round(1.2 * 44100))
    assert not np.allclose(wave.samples[0], wave.samples[1])
    forget_located()


def test_variations_decode_in_one_batch(use_tiny):
    from mmgen.pipeline import generate_variations

    tracks = generate_variations(
        GenerationRequest(
            prompt="funk", duration_s=5, seed=10, decoder="musicgen", variations=3, top_k=50, temperature=1.1
        )
    )
    assert [t.request.seed for t in tracks] == [10, 11, 12]
    codes = [t.tokens.codes for t in tracks]
    assert not np.array_equal(codes[0], codes[1]) and not np.array_equal(codes[1], codes[2])
    assert tracks[0].report()["decoder_notes"]["sampling"]["top_k"] == 50
    assert all(t.audio.samples.shape == (2, 5 * 44100) for t in tracks)


def _write_clip(path, seconds, amplitude=0.3, rate=32000):
    import soundfile as sf

    t = np.arange(int(seconds * rate)) / rate
    sf.write(str(path), (amplitude * np.sin(2 * np.pi * 330 * t)).astype(np.float32), rate)
    return path


def test_continuation_starts_with_the_clip(use_tiny, tmp_path):
    from mmgen.encoders.audio import load_clip

    clip = load_clip(_write_clip(tmp_path / "clip.wav", 1.2))
    decoder = MusicgenDecoder(max_window_s=1.0, context_s=0.4)
    plan = make_plan(GenerationRequest(prompt="pop", duration_s=5, seed=1))
    plan.duration_s = 3.0
    tokens = decoder.decode(plan, seed=2, conditioning={"continue": clip})
    full_model = decoder.load()[2]
    clip_codes = MusicgenDecoder.encode_clip(full_model, clip, "cpu").numpy()
    assert tokens.codes.shape[-1] == 151
    assert np.array_equal(tokens.codes[:, :, : clip_codes.shape[-1]], clip_codes)


def test_continuation_through_the_cli_and_its_errors(use_tiny, tmp_path):
    env = dict(os.environ, HF_HUB_OFFLINE="1")

    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "mmgen", "generate", "--duration", "5", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    ok = run(
        "--decoder", "musicgen", "--continue", str(_write_clip(tmp_path / "c.wav", 2)), "--out", str(tmp_path / "o.wav")
    )
    assert ok.returncode == 0, ok.stderr
    (tmp_path / "text.wav").write_text("not audio")
    (tmp_path / "empty.wav").write_bytes(b"")
    cases = [
        ("--continue", str(_write_clip(tmp_path / "s.wav", 2, amplitude=0.0)), "silent"),
        ("--continue", str(_write_clip(tmp_path / "l.wav", 8)), "trim it to 4 s"),
        ("--continue", str(_write_clip(tmp_path / "short.wav", 0.3)), "at least 1 s"),
        ("--continue", str(tmp_path / "text.wav"), "can't read"),
        ("--continue", str(tmp_path / "empty.wav"), "is empty"),
        ("--continue", str(tmp_path / "nothing.wav"), "can't find"),
    ]
    for flag, path, message in cases:
        result = run("--decoder", "musicgen", flag, path, "--out", str(tmp_path / "x.wav"))
        assert result.returncode == 2 and message in result.stderr, (path, result.stderr)
    composer = run("--continue", str(tmp_path / "c.wav"), "--out", str(tmp_path / "x.wav"))
    assert composer.returncode == 2 and "cannot continue an audio clip" in composer.stderr
    no_melody = run("--melody", str(tmp_path / "c.wav"), "--out", str(tmp_path / "x.wav"))
    assert no_melody.returncode == 2 and "cannot follow a melody" in no_melody.stderr
    assert not (tmp_path / "x.wav").exists()


def test_app_offers_musicgen_with_an_honest_cpu_estimate(use_tiny):
    import importlib

    import torch

    app = importlib.import_module("app")
    choices, default, _note = app.decoder_choices()
    labels = {name: label for label, name in choices}
    assert "musicgen" in labels
    if not torch.cuda.is_available():
        assert default == "composer" and "per second of music" in labels["musicgen"]
    # One upload box: a melody to follow for melody engines, a clip to continue for the others.
    assert app._clip_arguments("musicgen-melody", "tune.wav") == {"melody_audio": "tune.wav"}
    assert app._clip_arguments("musicgen", "tune.wav") == {"continue_audio": "tune.wav"}
    assert app._clip_arguments("musicgen", None) == {}


@pytest.fixture
def use_tiny_melody(tmp_path_factory, point_at):
    folder = save_debug_checkpoint(tmp_path_factory.mktemp("melody-tiny"), seed=5, melody=True)
    return point_at("MMGEN_MUSICGEN_MELODY_PATH", folder)


def _write_melody(path, notes_hz, note_s=0.5, rate=32000):
    """A plain sine melody, one note after another."""
    import soundfile as sf

    t = np.arange(int(note_s * rate)) / rate
    wave = np.concatenate([0.3 * np.sin(2 * np.pi * f * t) for f in notes_hz]).astype(np.float32)
    sf.write(str(path), wave, rate)
    return path


def test_melody_chroma_follows_the_clip_and_loops(use_tiny_melody, tmp_path):
    from mmgen.decoders.musicgen.decoder import MusicgenMelody
    from mmgen.encoders.audio import load_clip

    decoder = MusicgenMelody()
    features = decoder.load()[4]
    clip = load_clip(_write_melody(tmp_path / "a.wav", [440.0] * 8))  # 4 s of A
    chroma = MusicgenDecoder.melody_chroma(features, clip, features.sampling_rate / features.hop_length, 40.0)
    frames_per_s = features.sampling_rate / features.hop_length
    assert chroma.shape == (1, int(np.ceil(70 * frames_per_s)), 12)  # the piece plus one window, looped
    assert int(chroma[0, 5].argmax()) == 9  # A is pitch class 9


def test_melody_engine_through_the_pipeline(use_tiny_melody, tmp_path):
    melody = _write_melody(tmp_path / "tune.wav", [262, 294, 330, 349, 392, 440])
    track = generate(
        GenerationRequest(prompt="folk", duration_s=5, seed=3, decoder="musicgen-melody", melody_audio=str(melody))
    )
    assert track.audio.samples.shape == (2, 5 * 44100)
    assert track.report()["decoder_notes"]["checkpoint"] == "musicgen-melody"
    other = _write_melody(tmp_path / "other.wav", [370, 466, 554, 370, 466, 554])
    changed = generate(
        GenerationRequest(prompt="folk", duration_s=5, seed=3, decoder="musicgen-melody", melody_audio=str(other))
    )
    assert not np.array_equal(track.tokens.codes, changed.tokens.codes)  # the melody steers the tokens


def test_melody_windows_continue_with_exact_length(use_tiny_melody, tmp_path):
    from mmgen.decoders.musicgen.decoder import MusicgenMelody
    from mmgen.encoders.audio import load_clip

    plan = make_plan(GenerationRequest(prompt="folk", duration_s=5, seed=1))
    plan.duration_s = 2.3
    clip = load_clip(_write_melody(tmp_path / "m.wav", [262, 330, 392]))
    tokens = MusicgenMelody(max_window_s=1.0, context_s=0.4).decode(plan, seed=1, conditioning={"melody": clip})
    assert tokens.codes.shape == (1, 4, int(np.ceil(2.3 * 50)) + 1)


def test_melody_needs_a_melody_engine(tmp_path):
    melody = _write_melody(tmp_path / "tune.wav", [262, 294, 330])
    with pytest.raises(InvalidRequest, match="cannot follow a melody"):
        generate(GenerationRequest(prompt="folk", duration_s=5, decoder="composer", melody_audio=str(melody)))
    with pytest.raises(InvalidRequest, match="not both"):
        generate(GenerationRequest(prompt="folk", duration_s=5, melody_audio=str(melody), continue_audio=str(melody)))


def test_streamed_frames_are_the_tokens_in_order(use_tiny):
    """Across windows every frame is streamed exactly once, in order, before decoding ends."""
    decoder = MusicgenDecoder(max_window_s=1.0, context_s=0.4)
    plan = make_plan(GenerationRequest(prompt="ambient", duration_s=5, seed=3))
    plan.duration_s = 2.7
    pieces = []
    tokens = decoder.decode_many([plan], [3], on_frames=lambda codes, model, channels: pieces.append(codes))[0]
    assert len(pieces) > 3 and all(p.shape[-1] >= 1 for p in pieces)
    assert np.array_equal(np.concatenate([p.numpy() for p in pieces], axis=-1), tokens.codes)


def test_stream_decoding_matches_whole_decoding(use_tiny):
    """Uneven pushes decode only their new frames and still join without a seam."""
    import torch

    decoder = MusicgenDecoder(max_window_s=1.0, context_s=0.4)
    plan = make_plan(GenerationRequest(prompt="ambient", duration_s=5, seed=3))
    plan.duration_s = 3.0
    tokens = decoder.decode(plan, seed=5)
    model, codes = tokens.codec_model, torch.as_tensor(tokens.codes)
    with torch.inference_mode():
        whole = model.decode(codes[None], [None]).audio_values[0, 0].numpy()
    stream = EncodecStream(model, overlap_frames=8)
    decoded_frames, parts, start = [], [], 0
    for size in (7, 30, 13, 50, 1, 80):
        piece = codes[:, :, start : start + size]
        decoded_frames.append(piece.shape[-1] + (0 if start == 0 else min(8, start)))
        parts.append(stream.push(piece))
        start += size
    streamed = np.concatenate([*parts, stream.finish()], axis=-1)[0]
    assert streamed.shape == (codes.shape[-1] * 640,)
    assert max(decoded_frames) <= 80 + 8  # never the whole prefix again
    assert np.max(np.abs(whole - streamed)) <= 0.02 * np.max(np.abs(whole))


def test_pipeline_preview_plays_before_the_end(use_tiny):
    from mmgen.pipeline import generate_variations
    from mmgen.post.conform import engine_duration

    heard = []
    track = generate_variations(
        GenerationRequest(prompt="jazz", duration_s=5, seed=2, decoder="musicgen"), preview=heard.append
    )[0]
    assert len(heard) >= 4 and all(piece.shape[0] == 2 for piece in heard)
    total = sum(piece.shape[-1] for piece in heard)
    # the whole take as the engine played it, before it was conformed to the plan's exact length
    assert abs(total - engine_duration(track.plan) * 44100) <= 0.03 * 44100
    assert track.audio.samples.shape[-1] == (5 * 44100)
    # a random model's noise went through conforming: measured, and left as it is with a plain note
    conformed = track.details["conformed"]
    assert set(conformed["before"]) >= {"tempo_bpm", "beat_to_grid_ms", "cut_to_beat_ms", "key"}
    assert conformed["applied"] or conformed["notes"]
