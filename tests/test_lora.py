"""LoRA: a person's own style for the audio engines. A tiny MusicGen of the real class learns
from a folder of captioned clips (the held-out loss falls, the best adapter is kept), and plays
through --weights; an ACE-Step LoRA made elsewhere is brought in with --add and played the same
way. The shipped weights sound as before once a LoRA has played."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf

from mmgen import GenerationRequest, generate
from mmgen.checkpoints import SHIPPED, personal_folder, weight_choices
from mmgen.decoders.musicgen.debug import save_debug_checkpoint
from mmgen.decoders.musicgen.decoder import MusicgenDecoder
from mmgen.errors import InvalidRequest
from mmgen.pipeline import make_plan
from mmgen.request import validate
from mmgen.training import lora


def clips_folder(folder, seconds: float = 3.0):
    """Three captioned clips: steady tones, each with its caption beside it (rain.wav + rain.txt)."""
    folder.mkdir()
    t = np.arange(int(seconds * 32000)) / 32000
    for i, hz in enumerate([220, 330, 440]):
        sf.write(folder / f"tone{i}.wav", 0.3 * np.sin(2 * np.pi * hz * t), 32000)
        (folder / f"tone{i}.txt").write_text(f"a steady tone number {i}", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny MusicGen checkpoint and a LoRA 'mine' trained on it, in a data folder of their own."""
    root = tmp_path_factory.mktemp("lora")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MMGEN_MUSICGEN_PATH", str(save_debug_checkpoint(root / "musicgen")))
        patch.setenv("MMGEN_DATA_DIR", str(root / "data"))
        from mmgen.weights import forget_located

        forget_located()
        arguments = ["--clips", str(clips_folder(root / "clips")), "--name", "mine", "--steps", "30"]
        code = lora.main([*arguments, "--eval-every", "10", "--window-s", "1", "--lr", "3e-3"])
        yield code, root, patch
        forget_located()


def test_musicgen_lora_learns_the_clips_and_keeps_the_best(trained):
    code, root, _ = trained
    assert code == 0
    folder = personal_folder("mine", "musicgen")
    assert folder == root / "data" / "models" / "mine" / "musicgen-small"
    assert {"adapter_config.json", "adapter_model.safetensors", "mmgen.json"} <= {p.name for p in folder.iterdir()}
    assert not folder.with_name(folder.name + ".partial").exists()
    info = json.loads((folder / "mmgen.json").read_text())
    loss = info["held_out_loss"]
    assert loss["best"] < loss["before"] - 0.05  # it learned something it had not seen
    assert loss["best"] == min(value for _, value in loss["evaluations"])
    assert weight_choices("musicgen") == [SHIPPED, "mine"]


def test_musicgen_plays_the_lora_and_the_shipped_weights_stay_as_they_were(trained):
    decoder = MusicgenDecoder(max_window_s=1.0, context_s=0.4)
    plan = make_plan(GenerationRequest(prompt="a steady tone", duration_s=5, seed=2))
    plan.duration_s = 1.0  # below the product's minimum, to keep the tiny model quick

    def codes(weights: str) -> np.ndarray:
        request = validate(GenerationRequest(prompt="a steady tone", duration_s=5, decoder="musicgen", weights=weights))
        tokens = decoder.decode_many([plan], [2], sampling=request)[0]
        assert tokens.notes["weights"] == weights
        return tokens.codes

    shipped = codes(SHIPPED)
    assert not np.array_equal(codes("mine"), shipped)
    assert np.array_equal(codes(SHIPPED), shipped)


def test_the_pipeline_reports_the_weights_it_played(trained):
    track = generate(
        GenerationRequest(prompt="a steady tone", duration_s=5, seed=1, decoder="musicgen", weights="mine")
    )
    assert track.details["decoder_notes"]["weights"] == "mine"
    with pytest.raises(InvalidRequest, match=r"no weights named 'yours'.*shipped, mine"):
        validate(GenerationRequest(prompt="x", duration_s=5, decoder="musicgen", weights="yours"))


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        (["--clips", "{root}/nowhere"], "There is no folder"),
        (["--clips", "{root}/uncaptioned"], "have no caption: b.wav"),
        (["--clips", "{root}/broken"], "can't read bad.wav as audio"),
        (["--clips", "{root}/clips", "--name", "my style"], "A name for your own weights"),
        (["--clips", "{root}/clips", "--name", "shipped"], "shipped"),
        (["--clips", "{root}/clips", "--steps", "0"], "--steps"),
        (["--clips", "{root}/clips", "--engine", "ace-step"], "is not MusicGen"),
        (["--add", "{root}/clips", "--engine", "musicgen"], "--engine ace-step"),
        (["--add", "{root}/clips/tone0.wav", "--engine", "ace-step"], "not a .safetensors file"),
        (["--add", "{root}/clips", "--engine", "ace-step"], "holds no .safetensors file"),
    ],
)
def test_lora_command_says_what_is_wrong_in_one_line(trained, capsys, arguments, says):
    _, root, _ = trained
    if not (root / "uncaptioned").exists():
        (root / "uncaptioned").mkdir()
        sf.write(root / "uncaptioned" / "b.wav", np.zeros(32000), 32000)
        (root / "broken").mkdir()
        (root / "broken" / "bad.wav").write_bytes(b"not audio at all")
        (root / "broken" / "bad.txt").write_text("a caption")
    arguments = [a.format(root=root) for a in arguments]
    if "--name" not in arguments:
        arguments += ["--name", "other"]
    capsys.readouterr()
    assert lora.main([*arguments, "--steps", "1"] if "--steps" not in arguments else arguments) == 2
    error = capsys.readouterr().err
    assert says in error and error.startswith("mmgen: ") and error.count("\n") == 1
    assert "other" not in weight_choices("musicgen") + weight_choices("ace-step")


def ace_step_lora(folder, out, rank: int = 4):
    """A LoRA of the tiny ACE-Step transformer, made the way trainers elsewhere make one (peft on
    the transformer, saved through diffusers' AceStepPipeline.save_lora_weights)."""
    from diffusers import AceStepPipeline
    from peft import LoraConfig, get_peft_model_state_dict

    pipe = AceStepPipeline.from_pretrained(folder)
    config = LoraConfig(r=rank, lora_alpha=rank, target_modules=["to_q", "to_k", "to_v"], init_lora_weights=False)
    pipe.transformer.add_adapter(config)
    AceStepPipeline.save_lora_weights(out, transformer_lora_layers=get_peft_model_state_dict(pipe.transformer))
    return out


def test_ace_step_lora_is_added_and_played(diffusion_engines, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MMGEN_DATA_DIR", str(tmp_path / "data"))
    made = ace_step_lora(diffusion_engines["ace-step"], tmp_path / "made")
    assert lora.main(["--engine", "ace-step", "--name", "night.v2", "--add", str(made)]) == 0
    assert "play it with --weights night.v2" in capsys.readouterr().out
    assert weight_choices("ace-step") == [SHIPPED, "night.v2"]

    def take(weights: str):
        track = generate(
            GenerationRequest(prompt="calm piano", duration_s=5, seed=3, decoder="ace-step", weights=weights)
        )
        assert track.details["decoder_notes"]["weights"] == weights
        return track.audio.samples

    shipped = take(SHIPPED)
    assert np.abs(take("night.v2") - shipped).max() > 1e-3
    assert np.array_equal(take(SHIPPED), shipped)  # the LoRA is switched off, not left on


def test_engines_that_play_only_their_own_weights_refuse_yours(diffusion_engines):
    for decoder in ("stable-audio-3", "composer"):
        with pytest.raises(InvalidRequest, match="plays only its own weights"):
            validate(GenerationRequest(prompt="x", duration_s=5, decoder=decoder, weights="mine"))
