"""ACE-Step 1.5 and Stable Audio 3 as mmgen engines, on tiny random pipelines of the real diffusers
classes saved to a folder and loaded back through mmgen's own loading code (the real weights
cannot be downloaded here). What is checked is what the plan gives the model and what mmgen
does with what comes back: latents, windows, the VAE codecs, Cancel, availability, licences."""

import importlib
import math
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from diffusers import AceStepPipeline, StableAudio3InpaintPipeline, StableAudio3Pipeline

from mmgen import GenerationRequest, available_decoders, registry
from mmgen.codecs.latent import OobleckCodec, SameCodec
from mmgen.decoders.diffusion.ace_step import AceStepDecoder
from mmgen.decoders.diffusion.base import DiffusionDecoder, crossfade_join
from mmgen.decoders.diffusion.prompts import tagged_lyrics, vocal_language
from mmgen.decoders.diffusion.stable_audio_3 import StableAudio3Decoder
from mmgen.errors import Cancelled, GenerationFailed, InvalidRequest, Unavailable
from mmgen.pipeline import generate, generate_variations, make_plan
from mmgen.post.conform import engine_duration
from mmgen.zerogpu import gpu_seconds

SONG = "[Verse]\nI walked along the river late at night\nThe city sang\n\n[Chorus]\nTonight we are on fire"
LATENT_HZ = 25  # the tiny VAEs keep the real models' latent rate


@pytest.fixture
def calls(monkeypatch):
    """What each pipeline was called with, in order (the real __call__ still runs)."""
    seen = []
    for cls in (AceStepPipeline, StableAudio3Pipeline, StableAudio3InpaintPipeline):
        original = cls.__call__

        def recording(self, *args, original=original, **kwargs):
            seen.append((type(self).__name__, kwargs))
            return original(self, *args, **kwargs)

        monkeypatch.setattr(cls, "__call__", recording)
    return seen


def test_the_plan_drives_ace_step(diffusion_engines, calls):
    request = GenerationRequest(
        prompt="happy piano pop for a travel video", duration_s=7.3, tempo_bpm=128, key="F# minor", meter="3/4", seed=4
    )
    track = generate(replace_decoder(request, "ace-step"))
    plan = track.plan
    (name, arguments), *_ = calls
    assert name == "AceStepPipeline"
    assert arguments["bpm"] == 128 and arguments["keyscale"] == "F# minor" and arguments["timesignature"] == "3"
    # asked for a little more than the plan, then conformed to its exact length
    asked = engine_duration(plan)
    assert arguments["audio_duration"] == pytest.approx(asked) and arguments["output_type"] == "latent"
    assert "piano" in arguments["prompt"] and plan.style_label in arguments["prompt"]
    assert arguments["lyrics"] == "" and arguments["num_inference_steps"] == 8
    # Decoding and rendering are separate steps: latents [1, 8, T] from the DiT, audio from the VAE.
    assert track.tokens.kind == "latent" and track.codec == "oobleck"
    assert track.tokens.latents.shape == (1, 8, math.ceil(asked * LATENT_HZ))
    assert track.audio.duration_s == pytest.approx(7.3, abs=1e-4) and "conformed" in track.details
    assert track.audio.samples.shape == (2, round(7.3 * 44100))
    assert {"decode", "render"} <= set(track.timings_s)
    report = track.report()
    assert report["licence"].startswith("MIT") and report["decoder_notes"]["checkpoint"].startswith("ACE-Step/")
    assert report["decoder_notes"]["metadata"]["keyscale"] == "F# minor"
    assert "tempo_bpm" in report["measured"]  # neural audio: what it hit is measured and reported


def replace_decoder(request: GenerationRequest, decoder: str) -> GenerationRequest:
    from dataclasses import replace

    return replace(request, decoder=decoder)


def test_ace_step_sings_the_lyric_form(diffusion_engines, calls):
    track = generate(GenerationRequest(lyrics=SONG, decoder="ace-step", seed=2))
    arguments = calls[0][1]
    assert arguments["lyrics"].startswith("[intro]") and arguments["lyrics"].rstrip().endswith("[outro]")
    assert "[verse]\nI walked along the river late at night\nThe city sang" in arguments["lyrics"]
    assert "[chorus]\nTonight we are on fire" in arguments["lyrics"]
    assert arguments["vocal_language"] == "en"
    assert arguments["audio_duration"] == pytest.approx(engine_duration(track.plan))
    assert track.audio.duration_s == pytest.approx(track.plan.duration_s, abs=1e-4)


def test_ace_step_sings_over_the_composed_accompaniment(diffusion_engines, calls):
    """As a singer beside Bark: the composer's song is the context, ACE-Step's lego task adds the
    vocal track (the tagged lyrics, in the plan's tempo and key), mixed over it."""
    track = generate(GenerationRequest(lyrics=SONG, vocals="ace-step", seed=2))
    (name, arguments), *_ = calls
    assert name == "AceStepPipeline" and arguments["task_type"] == "lego" and arguments["track_name"] == "vocals"
    assert "[chorus]\nTonight we are on fire" in arguments["lyrics"] and arguments["bpm"] == round(track.plan.tempo_bpm)
    assert arguments["src_audio"].shape[-1] == pytest.approx(track.plan.duration_s * 1600, abs=2)
    assert track.decoder == "composer" and track.audio.duration_s == pytest.approx(track.plan.duration_s, abs=1e-4)
    with pytest.raises(InvalidRequest, match="own decoder"):
        generate(GenerationRequest(lyrics=SONG, vocals="ace-step", vocals_codec="vocos", seed=2))


def test_the_lyrics_language_is_read_from_their_words():
    for lyrics, language in (
        ("[Verse]\n夜空に光る星たちよ\n私の歌を聞いて", "ja"),
        ("[Verso]\nBajo la luna canto yo\ny el viento lleva mi canción", "es"),
        ("[Verse]\n사랑해요 당신을\n오늘 밤에", "ko"),
    ):
        plan = make_plan(GenerationRequest(lyrics=lyrics, seed=1))
        assert vocal_language(plan) == language
        assert "[verse]" in tagged_lyrics(plan)


def test_stable_audio_3_takes_the_caption_and_exact_length(diffusion_engines, calls):
    request = GenerationRequest(prompt="dark cinematic strings", duration_s=6.5, decoder="stable-audio-3", seed=1)
    track = generate(request)
    name, arguments = calls[0]
    plan = track.plan
    assert name == "StableAudio3Pipeline" and arguments["duration"] == pytest.approx(engine_duration(plan))
    assert f"{round(plan.tempo_bpm)} bpm, {plan.key.name}" in arguments["prompt"]
    assert track.codec == "same" and track.tokens.latents.shape == (1, 8, math.ceil(engine_duration(plan) * LATENT_HZ))
    assert track.audio.duration_s == pytest.approx(6.5, abs=1e-4)
    assert "Stability AI Community License" in track.report()["licence"]


@pytest.mark.parametrize("cls", [AceStepDecoder, StableAudio3Decoder])
def test_long_pieces_are_made_in_windows_that_keep_the_music_so_far(diffusion_engines, calls, cls):
    plan = make_plan(GenerationRequest(prompt="calm ambient", duration_s=11.0, seed=3))
    decoder = cls(max_pass_s=5.0)
    tokens = decoder.decode(plan, 3)
    windows = DiffusionDecoder.windows(11.0, 5.0)
    assert windows == [(0.0, 5.0), (2.5, 5.0), (5.0, 5.0), (7.5, 3.5)]
    assert tokens.notes["windows"] == 4 and len(calls) == 4
    assert tokens.latents.shape == (1, 8, 11 * LATENT_HZ)
    # Each later pass is an extension (repaint / inpaint) that keeps the music before its start.
    extension = calls[1][1]
    kept = extension.get("repainting_start", extension.get("mask_start_seconds"))
    assert kept == pytest.approx(2.5, abs=1 / LATENT_HZ)  # on a latent frame
    # The first pass's latents are kept bit for bit up to the first crossfade.
    pipe, _ = decoder.load()
    first = decoder.generate(pipe, plan, 5.0, torch.Generator().manual_seed(3), lambda *args: {})
    fade_start = round(2.5 * LATENT_HZ) + 5 * LATENT_HZ - round(2.5 * LATENT_HZ) - round(0.5 * LATENT_HZ)
    np.testing.assert_array_equal(tokens.latents[:, :, :fade_start], first[:, :, :fade_start])
    assert not np.array_equal(tokens.latents[:, :, 5 * LATENT_HZ :], first[:, :, : 6 * LATENT_HZ])
    wave = registry.get("codec", decoder.default_codec).decode(tokens)
    assert wave.samples.shape == (2, 11 * 44100) and np.isfinite(wave.samples).all()


def test_crossfade_join_keeps_both_sides():
    before = np.ones((1, 2, 10), np.float32)
    after = np.full((1, 2, 8), 3.0, np.float32)
    joined = crossfade_join(before, after, overlap=4, fade=2)
    assert joined.shape == (1, 2, 14)
    np.testing.assert_array_equal(joined[:, :, :8], 1.0)  # untouched before the fade
    np.testing.assert_array_equal(joined[:, :, 10:], 3.0)  # the new music after the join
    assert 1.0 < joined[0, 0, 8] < joined[0, 0, 9] < 3.0


def test_cancel_stops_between_denoising_steps(diffusion_engines):
    steps = []

    def progress(fraction, stage):
        steps.append(fraction)

    decoder = registry.get("decoder", "ace-step")
    plan = make_plan(GenerationRequest(prompt="rock", duration_s=6.0, seed=1))
    with pytest.raises(Cancelled):
        decoder.decode_many([plan], [1], progress=progress, should_stop=lambda: len(steps) >= 3)
    assert len(steps) == 3  # three steps ran and reported; the fourth never started
    # Through the pipeline too: Cancel during the decode step stops the request.
    asked = []
    with pytest.raises(Cancelled):
        generate_variations(
            GenerationRequest(prompt="rock", duration_s=6.0, decoder="stable-audio-3", seed=1),
            should_stop=lambda: asked.append(1) or len(asked) > 4,
        )


def test_a_codec_renders_only_its_own_vae_latents(diffusion_engines):
    plan = make_plan(GenerationRequest(prompt="pop", duration_s=5.0, seed=1))
    ace = registry.get("decoder", "ace-step").decode(plan, 1)
    with pytest.raises(GenerationFailed, match="AutoencoderOobleck"):
        SameCodec().decode(ace)
    narrow = type(ace)(ace.latents[:, :4], ace.frame_rate_hz, "oobleck", ace.end_s, vae=ace.vae)
    with pytest.raises(GenerationFailed, match="4 channels"):
        OobleckCodec().decode(narrow)
    with pytest.raises(GenerationFailed, match="score tokens"):
        OobleckCodec().decode(registry.get("decoder", "composer").decode(plan, 1))


def test_without_weights_the_engines_say_why(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    for name in ("MMGEN_ACE_STEP_PATH", "MMGEN_ACE_STEP_BASE_PATH", "MMGEN_STABLE_AUDIO_3_PATH"):
        monkeypatch.delenv(name, raising=False)
    from mmgen.weights import forget_located

    forget_located()
    rows = {row["name"]: row for row in available_decoders()}
    for name, repo in (("ace-step", "ACE-Step/acestep-v15-xl-turbo-diffusers"), ("stable-audio-3", "stabilityai/")):
        assert not rows[name]["available"] and repo in rows[name]["reason"]
        assert rows[name]["licence"]
    assert "non-commercial" in rows["musicgen"]["licence"] and rows["composer"]["licence"].startswith("Yours to use")
    app = importlib.import_module("app")  # the studio says why too, under its engine list and its editing
    names = [name for _, name in app.decoder_choices()[0]]
    assert "ace-step" not in names and "**ace-step**: its weights (ACE-Step/" in app.decoder_choices()[2]
    assert app.diffusion_engines()[0] == [] and "stable-audio-3: its weights" in app.diffusion_engines()[1]
    with pytest.raises(Unavailable, match="not on this machine"):
        generate(GenerationRequest(prompt="pop", duration_s=5, decoder="ace-step"))
    out = tmp_path / "x.wav"
    result = subprocess.run(
        [sys.executable, "-m", "mmgen", "generate", "--prompt", "pop", "--duration", "5", "--decoder", "ace-step"]
        + ["--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    assert not out.exists()
    assert result.returncode != 0 and "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert "ace-step" in line and "not on this machine" in line


def test_zero_gpu_time_grows_with_the_music():
    short, long = (gpu_seconds("ace-step", False, s, 1, False) for s in (30, 240))
    assert short < long


def real_weights(name: str) -> bool:
    """Whether the real checkpoint of `name` is in the Hugging Face cache (never the tiny one)."""
    from mmgen.decoders.diffusion.checkpoints import CHECKPOINTS
    from mmgen.weights import cached_folder

    return cached_folder(CHECKPOINTS[name].repo_id, "model_index.json") is not None


@pytest.mark.parametrize("name", ["ace-step", "stable-audio-3"])
def test_real_weights_make_a_track_of_the_asked_key_and_length(name):
    if not real_weights(name):
        pytest.skip(f"needs the real {name} weights in the Hugging Face cache")
    track = generate(GenerationRequest(prompt="upbeat pop", duration_s=12, key="A minor", seed=1, decoder=name))
    assert track.audio.samples.shape == (2, 12 * 44100)
    assert track.report()["measured"]["key"] in ("A minor", "C major")  # the asked key or its relative
