"""The game kit: three nested intensity layers of one loop, the plan's sections as segments with
entry and exit cues on bar lines, two stingers and a manifest, in one ZIP (read back here with
soundfile, pretty_midi and a RIFF reader of the tests' own)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile

import numpy as np
import pretty_midi
import pytest
import soundfile as sf
from media import riff_chunks, wav_cues

from mmgen.errors import InvalidRequest
from mmgen.eval.metrics import integrated_loudness_lufs
from mmgen.gamekit import build_game_kit
from mmgen.pipeline import generate
from mmgen.post.export import FILE_MODE
from mmgen.request import GenerationRequest

RATE = 44100


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    track = generate(GenerationRequest(prompt="chiptune level music", duration_s=12.0, seed=3, loop=True))
    kit = build_game_kit(track)
    path = kit.save(tmp_path_factory.mktemp("kit") / "level.zip")
    return track, kit, path


def read(archive: zipfile.ZipFile, name: str, folder) -> tuple[np.ndarray, str]:
    """A WAV of the kit as float64 `[C, N]`, and where it was unpacked."""
    target = archive.extract(name, folder)
    audio, rate = sf.read(target, dtype="float64", always_2d=True)
    assert rate == RATE
    return audio.T, target


def test_the_layers_nest_and_rise_in_loudness_and_density(made, tmp_path):
    track, _kit, path = made
    archive = zipfile.ZipFile(path)
    manifest = json.loads(archive.read("manifest.json"))
    layers = manifest["layers"]
    assert [layer["name"] for layer in layers] == ["calm", "medium", "intense"]
    played = [set(layer["stems"]) for layer in layers]
    assert played[0] < played[1] < played[2] == set(track.audio.stems)  # each adds a part
    length = track.audio.samples.shape[-1]
    loudness, stems = [], {}
    for layer in layers:
        mix, file = read(archive, layer["file"], tmp_path)
        assert mix.shape[-1] == length  # the same bar grid: one loop length for all
        smpl = riff_chunks(file)[b"smpl"]
        assert np.frombuffer(smpl[44:52], "<u4").tolist() == [0, length - 1]  # loops over the whole file
        for role in layer["stems"]:
            stems.setdefault(role, read(archive, f"stems/{role}.wav", tmp_path)[0])
        # the layer is its stems played together: a shared part is the very same audio in each layer
        residual = mix - sum(stems[role] for role in layer["stems"])
        assert np.abs(residual).max() < 1e-5
        loudness.append(integrated_loudness_lufs(mix.astype(np.float32), RATE))
    assert loudness[0] < loudness[1] < loudness[2]
    assert loudness[2] == pytest.approx(track.mastering.loudness_lufs, abs=0.1)  # intense is the track
    density = [layer["notes_per_bar"] for layer in layers]
    assert density[0] < density[1] < density[2]


def test_segments_cue_on_bar_lines_and_say_what_follows(made, tmp_path):
    track, _kit, path = made
    plan, archive = track.plan, zipfile.ZipFile(path)
    segments = json.loads(archive.read("manifest.json"))["segments"]
    assert [s["section"] for s in segments] == [s.name for s in plan.sections]
    assert sum(s["bars"] for s in segments) == plan.total_bars
    for segment in segments:
        audio, file = read(archive, segment["file"], tmp_path)
        exit_sample = round(segment["bars"] * plan.bar_s * RATE)
        assert wav_cues(file) == [(0, "entry"), (exit_sample, "exit")]
        assert audio.shape[-1] > exit_sample  # the tail rings past the exit
        bar = round(plan.bar_s * RATE)
        assert np.abs(audio[:, :bar]).max() > 0.05  # it plays from its entry
        assert np.abs(audio[:, -100:]).max() < 0.01  # and its tail has died away
    names = [s["name"] for s in segments]
    assert segments[-1]["next"][0] == names[0] or names[0] in segments[-1]["next"]  # round to the start
    for i, segment in enumerate(segments[:-1]):
        assert names[i + 1] in segment["next"]


def test_the_stingers_land_on_the_bar_line(made, tmp_path):
    track, _kit, path = made
    archive = zipfile.ZipFile(path)
    stingers = {s["name"]: s for s in json.loads(archive.read("manifest.json"))["stingers"]}
    bar = round(track.plan.bar_s * RATE)
    rise, file = read(archive, stingers["rise"]["file"], tmp_path)
    assert wav_cues(file) == [(0, "entry"), (round(2 * track.plan.bar_s * RATE), "landing")]

    def rms(a):
        return float(np.sqrt((a**2).mean()))

    start, landing = rms(rise[:, : bar // 2]), rms(rise[:, 2 * bar : 2 * bar + bar // 2])
    assert landing > 1.5 * start  # it builds to the landing (+5 dB here)
    hit, file = read(archive, stingers["hit"]["file"], tmp_path)
    assert wav_cues(file) == [(0, "hit")]
    onset = rms(hit[:, : RATE // 20])
    assert onset > 0.1 and onset > 4 * rms(hit[:, -RATE // 10 :])  # struck at once, then it rings out


def test_the_zip_holds_what_the_manifest_names(made):
    track, _kit, path = made
    archive = zipfile.ZipFile(path)
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["tempo_bpm"] == pytest.approx(track.plan.tempo_bpm)
    assert manifest["meter"] == track.plan.meter.name and manifest["key"] == track.plan.key.name
    assert manifest["loop"]["length_samples"] == track.audio.samples.shape[-1]
    named = [item["file"] for group in ("layers", "stems", "segments", "stingers") for item in manifest[group]]
    named += [stem["midi"] for stem in manifest["stems"] if "midi" in stem]
    assert sorted(named + ["manifest.json"]) == sorted(archive.namelist())
    assert path.stat().st_mode & 0o777 == FILE_MODE  # as any file the user makes, not owner-only
    assert not list(path.parent.glob(".mmgen-*"))
    for stem in manifest["stems"]:
        if "midi" in stem:
            midi = pretty_midi.PrettyMIDI(io.BytesIO(archive.read(stem["midi"])))
            assert sum(len(i.notes) for i in midi.instruments) > 0


def test_too_few_parts_or_no_loop_is_refused_plainly():
    piano = generate(GenerationRequest(prompt="calm solo piano", duration_s=8.0, seed=3, loop=True))
    if len(piano.audio.stems) < 3:
        with pytest.raises(InvalidRequest, match="at least three parts"):
            build_game_kit(piano)
    plain = generate(GenerationRequest(prompt="chiptune level music", duration_s=8.0, seed=3))
    with pytest.raises(InvalidRequest, match="seamless loop"):
        build_game_kit(plain)


def run(*args):
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    return subprocess.run([sys.executable, "-m", "mmgen", *map(str, args)], env=env, capture_output=True, text=True)


def test_the_cli_writes_a_kit_or_refuses_before_any_work(tmp_path):
    kit = tmp_path / "kit.zip"
    done = run(
        "generate", "--prompt", "lofi hip hop beat", "--duration", 8, "--out", tmp_path / "t.wav", "--game-kit", kit
    )
    assert done.returncode == 0, done.stderr
    assert "game kit" in done.stdout and zipfile.ZipFile(kit).testzip() is None
    refused = run(
        "generate", "--prompt", "x", "--duration", 8, "--out", tmp_path / "u.wav", "--game-kit", tmp_path / "k.rar"
    )
    assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1 and ".zip" in refused.stderr
    assert not (tmp_path / "u.wav").exists()
